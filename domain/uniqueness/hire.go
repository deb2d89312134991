package uniqueness

// RuleHireOneTimeSubsidy is the rule the one-time job-expansion grant
// (一次性扩岗补助) and the one-time absorption subsidy (一次性吸纳就业补贴)
// share. The notices say a person's identity, once used for either, may
// not be used again for the other, by any employer: the exclusion is per
// person, not per hire. Both programmes reserve this one key, so the
// store's concurrency control lets exactly one claim for the person hold
// it, whichever programme submits first.
const RuleHireOneTimeSubsidy = "hire-one-time-subsidy"

// HireOneTimeSubsidy returns the shared key for person, a keyed person
// reference (never a resident ID).
func HireOneTimeSubsidy(person string) Key {
	return Key{Rule: RuleHireOneTimeSubsidy, Value: person}
}
