package alert

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// PayloadVersion is the version of the JSON document webhooks and the
// pub/sub channel carry. It changes only when a field changes meaning or
// goes away; consumers should ignore fields they do not know.
const PayloadVersion = 1

// Payload is the JSON document for one alert, as POSTed by webhooks and
// published on pub/sub channels. Schema (version 1):
//
//	{
//	  "version": 1,                       // PayloadVersion
//	  "kind": "firing",                   // or "resolved"
//	  "rule": "hot-products",             // Rule.Name
//	  "key": "product:42",                // the key; invalid UTF-8 bytes as \xNN
//	  "key_base64": "cHJvZHVjdDo0Mg==",   // the key's exact bytes, standard base64
//	  "key_truncated": false,             // key is a prefix of a longer key
//	  "op": "any",                        // "any", "read" or "write": what rate and share measure
//	  "rate": 1520.5,                     // op accesses per second
//	  "share": 0.118,                     // share of op traffic, 0..1
//	  "read_rate": 1500.1,                // the key's reads per second
//	  "write_rate": 20.4,                 // the key's writes per second
//	  "min_rate": 1000,                   // the rule's thresholds; 0 when unset
//	  "min_share": 0,
//	  "at": "2025-11-26T08:03:01.250Z",   // when the alert was raised (RFC 3339)
//	  "since": "2025-11-26T08:03:01.250Z",// when the rule started firing for the key
//	  "duration_seconds": 0,              // how long it fired; set on "resolved"
//	  "suppressed": 0,                    // firings held back by the cooldown since the last notification
//	  "origin": "api-7f9c"                // Options.Origin of the Monitor; may be empty
//	}
type Payload struct {
	Version         int     `json:"version"`
	Kind            string  `json:"kind"`
	Rule            string  `json:"rule"`
	Key             string  `json:"key"`
	KeyBase64       string  `json:"key_base64"`
	KeyTruncated    bool    `json:"key_truncated"`
	Op              string  `json:"op"`
	Rate            float64 `json:"rate"`
	Share           float64 `json:"share"`
	ReadRate        float64 `json:"read_rate"`
	WriteRate       float64 `json:"write_rate"`
	MinRate         float64 `json:"min_rate"`
	MinShare        float64 `json:"min_share"`
	At              string  `json:"at"`
	Since           string  `json:"since"`
	DurationSeconds float64 `json:"duration_seconds"`
	Suppressed      uint64  `json:"suppressed"`
	Origin          string  `json:"origin"`
}

// NewPayload returns the JSON document for a.
func NewPayload(a Alert) Payload {
	return Payload{
		Version:         PayloadVersion,
		Kind:            a.Kind.String(),
		Rule:            a.Rule,
		Key:             readableKey(a.Key),
		KeyBase64:       base64.StdEncoding.EncodeToString([]byte(a.Key)),
		KeyTruncated:    a.Truncated,
		Op:              a.Op.String(),
		Rate:            a.Rate,
		Share:           a.Share,
		ReadRate:        a.ReadRate,
		WriteRate:       a.WriteRate,
		MinRate:         a.MinRate,
		MinShare:        a.MinShare,
		At:              a.At.UTC().Format(time.RFC3339Nano),
		Since:           a.Since.UTC().Format(time.RFC3339Nano),
		DurationSeconds: a.Duration().Seconds(),
		Suppressed:      a.Suppressed,
		Origin:          a.Origin,
	}
}

// Marshal returns a's payload as JSON.
func Marshal(a Alert) ([]byte, error) { return json.Marshal(NewPayload(a)) }

// readableKey returns key when it is valid UTF-8 and key with each invalid
// byte written as \xNN otherwise: readable, though not reversible (the
// payload's key_base64 is).
func readableKey(key string) string {
	if utf8.ValidString(key) {
		return key
	}
	var b strings.Builder
	for i := 0; i < len(key); {
		r, n := utf8.DecodeRuneInString(key[i:])
		if r == utf8.RuneError && n == 1 {
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[key[i]>>4])
			b.WriteByte(hex[key[i]&15])
		} else {
			b.WriteString(key[i : i+n])
		}
		i += n
	}
	return b.String()
}
