package projections

// NextWorkPageWithBudget is NextWorkPage with the skip budget a test
// chooses (negative: none), so the bound is reached on small queues.
func (c *Claims) NextWorkPageWithBudget(r, actor string, after ClaimCursor, limit, budget int) ClaimPage {
	return c.nextWorkPage(r, actor, after, limit, budget)
}
