package projections

import (
	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// stateJSONOptions make the faster encoder of github.com/go-json-experiment
// (already the codec's) read and write exactly what encoding/json does,
// map keys sorted. On the performance model's state of a million-event
// ledger (43 MB) it restores in about 0.40 s of CPU against 0.61–0.76 s;
// writing costs about the same either way, and one encoder for both
// directions keeps the bytes read and written alike.
var stateJSONOptions = jsonv2.JoinOptions(jsonv1.DefaultOptionsV1(), jsonv2.Deterministic(true))

// marshalState encodes a model's JSON state.
func marshalState(v any) ([]byte, error) { return jsonv2.Marshal(v, stateJSONOptions) }

// unmarshalState decodes a model's JSON state into v.
func unmarshalState(data []byte, v any) error { return jsonv2.Unmarshal(data, v, stateJSONOptions) }
