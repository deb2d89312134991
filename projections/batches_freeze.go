package projections

import "slices"

// Freeze implements Freezer: a copy of the batches' map, whose batches
// Apply replaces with changed clones from now on (see cowMap).
func (p *PaymentBatches) Freeze() func() ([]byte, error) {
	frozen := p.batches.freeze()
	return func() ([]byte, error) { return marshalBatches(frozen) }
}

// clonePaymentBatch copies a batch and its items, which Apply changes in
// place: a copy of one batch (its few hundred items), never of them all.
func clonePaymentBatch(b *PaymentBatch) *PaymentBatch {
	cp := *b
	cp.Items = slices.Clone(b.Items)
	return &cp
}
