package randomorg

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"
)

// MethodSignedIntegers is the only signed method fairdraw uses.
const MethodSignedIntegers = "generateSignedIntegers"

// completionTimeLayout is RANDOM.ORG's completionTime format ("YYYY-MM-DD HH:MM:SSZ", UTC).
const completionTimeLayout = "2006-01-02 15:04:05Z"

// Binding errors reported by the checks, in the order they run. A failed
// check wraps exactly one of them; test with errors.Is.
var (
	ErrParams       = errors.New("randomorg: parameters do not match")
	ErrUserData     = errors.New("randomorg: userData does not match")
	ErrTicket       = errors.New("randomorg: ticket does not match")
	ErrPregenerated = errors.New("randomorg: pregeneratedRandomization is not null")
	ErrHashedAPIKey = errors.New("randomorg: hashedApiKey does not match")
)

// Request is what fairdraw asks generateSignedIntegers for, and what a result
// must be bound to. Base is always 10.
type Request struct {
	N           int
	Min         int
	Max         int
	Replacement bool
	// UserData is a compact JSON value RANDOM.ORG signs back unmodified
	// (at most 1,000 characters; keep it ASCII without '/', '<', '>', '&').
	// Nil sends and expects null.
	UserData json.RawMessage
	// TicketID is the ticket to consume; empty sends and expects none.
	TicketID string
}

// License is random.license.
type License struct {
	Type    string  `json:"type"`
	Text    string  `json:"text"`
	InfoURL *string `json:"infoUrl"`
}

// TicketData is random.ticketData: the ticket the request consumed.
type TicketData struct {
	TicketID         string  `json:"ticketId"`
	PreviousTicketID *string `json:"previousTicketId"`
	NextTicketID     *string `json:"nextTicketId"`
}

// RandomObject is the parsed form of a signed random object. It is for
// reading only: the signed bytes are the raw JSON it was parsed from.
// Optional members that are absent stay nil; members that are JSON null hold
// the raw bytes "null".
type RandomObject struct {
	Method                    string          `json:"method"`
	HashedAPIKey              string          `json:"hashedApiKey"`
	N                         int             `json:"n"`
	Min                       int             `json:"min"`
	Max                       int             `json:"max"`
	Replacement               *bool           `json:"replacement"`
	Base                      *int            `json:"base"`
	PregeneratedRandomization json.RawMessage `json:"pregeneratedRandomization"`
	// RawData is random.data as sent (integers, or strings for other
	// methods and bases).
	RawData        json.RawMessage `json:"data"`
	License        *License        `json:"license"`
	LicenseData    json.RawMessage `json:"licenseData"`
	UserData       json.RawMessage `json:"userData"`
	TicketData     *TicketData     `json:"ticketData"`
	CompletionTime string          `json:"completionTime"`
	SerialNumber   int64           `json:"serialNumber"`

	// Data is RawData decoded as integers; nil when it is not a list of
	// integers (e.g. blobs, or a base other than 10).
	Data []int `json:"-"`
}

// ParseRandom parses the exact bytes of a random object.
func ParseRandom(raw json.RawMessage) (RandomObject, error) {
	var o RandomObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return RandomObject{}, fmt.Errorf("randomorg: parse random object: %w", err)
	}
	var ints []int
	if err := json.Unmarshal(o.RawData, &ints); err == nil {
		o.Data = ints
	}
	return o, nil
}

// CompletedAt parses CompletionTime ("YYYY-MM-DD HH:MM:SSZ", UTC).
func (o RandomObject) CompletedAt() (time.Time, error) {
	t, err := time.Parse(completionTimeLayout, o.CompletionTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("randomorg: parse completionTime: %w", err)
	}
	return t, nil
}

// CheckParams checks the method and parameters against want: method is
// generateSignedIntegers, n, min, max and replacement match (replacement
// defaults to true when absent, as in the API), base is 10 where present,
// and data holds n integers in [min, max], all distinct without replacement.
// The error wraps ErrParams.
func (o RandomObject) CheckParams(want Request) error {
	replacement := true
	if o.Replacement != nil {
		replacement = *o.Replacement
	}
	switch {
	case o.Method != MethodSignedIntegers:
		return fmt.Errorf("%w: method is %q, want %q", ErrParams, o.Method, MethodSignedIntegers)
	case o.N != want.N:
		return fmt.Errorf("%w: n is %d, want %d", ErrParams, o.N, want.N)
	case o.Min != want.Min:
		return fmt.Errorf("%w: min is %d, want %d", ErrParams, o.Min, want.Min)
	case o.Max != want.Max:
		return fmt.Errorf("%w: max is %d, want %d", ErrParams, o.Max, want.Max)
	case replacement != want.Replacement:
		return fmt.Errorf("%w: replacement is %t, want %t", ErrParams, replacement, want.Replacement)
	case o.Base != nil && *o.Base != 10:
		return fmt.Errorf("%w: base is %d, want 10", ErrParams, *o.Base)
	case o.Data == nil || len(o.Data) != o.N:
		return fmt.Errorf("%w: data does not hold %d integers", ErrParams, o.N)
	}
	seen := make(map[int]bool, len(o.Data))
	for i, v := range o.Data {
		if v < o.Min || v > o.Max {
			return fmt.Errorf("%w: data[%d]=%d is outside [%d, %d]", ErrParams, i, v, o.Min, o.Max)
		}
		if !replacement && seen[v] {
			return fmt.Errorf("%w: data[%d]=%d repeats without replacement", ErrParams, i, v)
		}
		seen[v] = true
	}
	return nil
}

// CheckUserData compares random.userData with want.UserData as JSON values
// (member order and spacing do not matter; numbers compare by their text).
// Absent and null are the same. The error wraps ErrUserData.
func (o RandomObject) CheckUserData(want Request) error {
	got, err := decodeJSONValue(o.UserData)
	if err != nil {
		return fmt.Errorf("%w: signed userData: %w", ErrUserData, err)
	}
	exp, err := decodeJSONValue(want.UserData)
	if err != nil {
		return fmt.Errorf("%w: expected userData: %w", ErrUserData, err)
	}
	if !reflect.DeepEqual(got, exp) {
		return fmt.Errorf("%w: signed %s, want %s", ErrUserData, orNull(o.UserData), orNull(want.UserData))
	}
	return nil
}

// CheckTicket checks that random.ticketData names want.TicketID, or is
// null/absent when no ticket is expected. The error wraps ErrTicket.
func (o RandomObject) CheckTicket(want Request) error {
	switch {
	case want.TicketID == "" && o.TicketData != nil:
		return fmt.Errorf("%w: result used ticket %q, none expected", ErrTicket, o.TicketData.TicketID)
	case want.TicketID == "":
		return nil
	case o.TicketData == nil:
		return fmt.Errorf("%w: result used no ticket, want %q", ErrTicket, want.TicketID)
	case o.TicketData.TicketID != want.TicketID:
		return fmt.Errorf("%w: result used ticket %q, want %q", ErrTicket, o.TicketData.TicketID, want.TicketID)
	}
	return nil
}

// CheckPregenerated checks that pregeneratedRandomization is null (or absent,
// on releases before 4): a date or id there makes the values knowable in
// advance. The error wraps ErrPregenerated.
func (o RandomObject) CheckPregenerated() error {
	if isNull(o.PregeneratedRandomization) {
		return nil
	}
	return fmt.Errorf("%w: it is %s", ErrPregenerated, o.PregeneratedRandomization)
}

// CheckHashedAPIKey checks random.hashedApiKey against the operator's
// published hash (see HashAPIKey). An empty want is an error: the binding is
// mandatory. The error wraps ErrHashedAPIKey.
func (o RandomObject) CheckHashedAPIKey(want string) error {
	if want == "" {
		return fmt.Errorf("%w: no expected hashedApiKey given", ErrHashedAPIKey)
	}
	if o.HashedAPIKey != want {
		return fmt.Errorf("%w: signed %q, want %q", ErrHashedAPIKey, o.HashedAPIKey, want)
	}
	return nil
}

// Check runs every binding check in order: params, userData, ticket,
// pregeneratedRandomization, hashedApiKey. It does not check the signature.
func (o RandomObject) Check(want Request, hashedAPIKey string) error {
	if err := o.CheckParams(want); err != nil {
		return err
	}
	if err := o.CheckUserData(want); err != nil {
		return err
	}
	if err := o.CheckTicket(want); err != nil {
		return err
	}
	if err := o.CheckPregenerated(); err != nil {
		return err
	}
	return o.CheckHashedAPIKey(hashedAPIKey)
}

// CheckResult is the acceptance test for a signed result (design §4): the
// signature over res.Random under pub first (ErrBadSignature), then every
// binding against want and the operator's hashedAPIKey. It re-parses
// res.Random rather than trusting res's parsed fields.
func CheckResult(res *SignedResult, want Request, pub *rsa.PublicKey, hashedAPIKey string) error {
	if res == nil {
		return errors.New("randomorg: check result: nil result")
	}
	if err := VerifySignature(pub, res.Random, res.Signature); err != nil {
		return err
	}
	o, err := ParseRandom(res.Random)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrParams, err)
	}
	return o.Check(want, hashedAPIKey)
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func orNull(raw json.RawMessage) string {
	if isNull(raw) {
		return "null"
	}
	return string(raw)
}

// decodeJSONValue decodes raw into generic values with numbers kept as
// json.Number, so that large ids compare exactly. Absent means null.
func decodeJSONValue(raw json.RawMessage) (any, error) {
	if isNull(raw) {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}
