package obs_test

import "encoding/json"

// fmtAny renders an event as JSON, the form it would be sent in.
func fmtAny(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
