package codec

import "reflect"

// DecodesCanonically reports whether the canonical decoder itself reads
// data as eventType, so the differential tests know they compare it with
// encoding/json and not the general decoder with itself.
func (c *Codec) DecodesCanonically(eventType string, data []byte) bool {
	e, ok := c.types[eventType]
	return ok && e.canonical != nil && e.canonical.decode(data, reflect.New(e.elem).Elem())
}
