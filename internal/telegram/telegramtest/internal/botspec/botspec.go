// Package botspec reads the machine-readable Telegram Bot API description and
// checks values against it.
//
// The source format is the one of shared/vectors/telegram/botapi-10.1.json
// (methods and types, each with fields that carry a list of alternative
// types such as "Integer", "Array of LabeledPrice" or "InlineKeyboardMarkup").
// [Extract] cuts that 900 KB file down to the methods a fake server serves and
// the types their parameters and results use, keeping only what the checks
// need (names, types, required flags and the constant discriminators such as
// `always "kicked"`), so the fake can embed it.
//
// The checks are deliberately stricter than Telegram: an unknown field is an
// error, so a typo in a parameter name fails a test instead of being silently
// ignored. A type missing from the extract is treated as an opaque object.
package botspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Spec is a (possibly partial) Bot API description.
type Spec struct {
	Version     string             `json:"version"`
	ReleaseDate string             `json:"release_date"`
	Methods     map[string]*Method `json:"methods"`
	Types       map[string]*Type   `json:"types"`
}

// Method is one Bot API method: its parameters and the types it may return.
type Method struct {
	Name    string   `json:"name"`
	Fields  []Field  `json:"fields,omitempty"`
	Returns []string `json:"returns"`
}

// Type is one Bot API object type. A type has either fields or subtypes
// (a union such as ChatMember or TransactionPartner).
type Type struct {
	Name     string   `json:"name"`
	Fields   []Field  `json:"fields,omitempty"`
	Subtypes []string `json:"subtypes,omitempty"`
}

// Field is a method parameter or an object field. Types lists the
// alternatives ("Integer", "String" for chat_id). Const, when set, is the only
// value the field may take (the discriminator of a union member).
type Field struct {
	Name     string   `json:"name"`
	Types    []string `json:"types"`
	Required bool     `json:"required"`
	Const    string   `json:"const,omitempty"`
}

// Field returns the field called name, or nil.
func (m *Method) Field(name string) *Field { return findField(m.Fields, name) }

// Field returns the field called name, or nil.
func (t *Type) Field(name string) *Field { return findField(t.Fields, name) }

func findField(fields []Field, name string) *Field {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
	}
	return nil
}

// Parse decodes a spec in the source or the extracted format.
func Parse(data []byte) (*Spec, error) {
	var raw rawSpec
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("botspec: decode: %w", err)
	}
	return raw.spec(), nil
}

// rawSpec mirrors the source file; the extracted file is a subset of it with
// descriptions dropped and Const filled in.
type rawSpec struct {
	Version     string               `json:"version"`
	ReleaseDate string               `json:"release_date"`
	Methods     map[string]rawMethod `json:"methods"`
	Types       map[string]rawType   `json:"types"`
}

type rawMethod struct {
	Name    string     `json:"name"`
	Fields  []rawField `json:"fields"`
	Returns []string   `json:"returns"`
}

type rawType struct {
	Name     string     `json:"name"`
	Fields   []rawField `json:"fields"`
	Subtypes []string   `json:"subtypes"`
}

type rawField struct {
	Name        string   `json:"name"`
	Types       []string `json:"types"`
	Required    bool     `json:"required"`
	Description string   `json:"description"`
	Const       string   `json:"const"`
}

// alwaysRe finds the discriminator in descriptions such as
// `The member's status in the chat, always "kicked"`.
var alwaysRe = regexp.MustCompile(`always ["“]([a-z_]+)["”]`)

func (r rawSpec) spec() *Spec {
	s := &Spec{
		Version:     r.Version,
		ReleaseDate: r.ReleaseDate,
		Methods:     make(map[string]*Method, len(r.Methods)),
		Types:       make(map[string]*Type, len(r.Types)),
	}
	for name, m := range r.Methods {
		s.Methods[name] = &Method{Name: m.Name, Fields: convertFields(m.Fields), Returns: m.Returns}
	}
	for name, t := range r.Types {
		s.Types[name] = &Type{Name: t.Name, Fields: convertFields(t.Fields), Subtypes: t.Subtypes}
	}
	return s
}

func convertFields(in []rawField) []Field {
	out := make([]Field, 0, len(in))
	for _, f := range in {
		c := f.Const
		if c == "" && len(f.Types) == 1 && f.Types[0] == "String" {
			if m := alwaysRe.FindStringSubmatch(f.Description); m != nil {
				c = m[1]
			}
		}
		out = append(out, Field{Name: f.Name, Types: f.Types, Required: f.Required, Const: c})
	}
	return out
}

// Extract returns the compact form of spec: the named methods, every type
// their parameters use (transitively), and the named result types with their
// own fields. Types referenced by a kept result type but not named are left
// out; checks treat them as opaque objects. The output is stable (sorted,
// indented) so that regenerating it gives a reviewable diff.
func Extract(s *Spec, methods, resultTypes []string) ([]byte, error) {
	out := &Spec{
		Version:     s.Version,
		ReleaseDate: s.ReleaseDate,
		Methods:     make(map[string]*Method),
		Types:       make(map[string]*Type),
	}
	var queue []string
	for _, name := range methods {
		m, ok := s.Methods[name]
		if !ok {
			return nil, fmt.Errorf("botspec: extract: no method %q", name)
		}
		out.Methods[name] = m
		for _, f := range m.Fields {
			queue = append(queue, typeNames(f.Types)...)
		}
	}
	// Parameter types: full closure, so requests are checked to the bottom.
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if isScalar(name) || out.Types[name] != nil {
			continue
		}
		t, ok := s.Types[name]
		if !ok {
			return nil, fmt.Errorf("botspec: extract: no type %q", name)
		}
		out.Types[name] = t
		queue = append(queue, typeNames(t.Subtypes)...)
		for _, f := range t.Fields {
			queue = append(queue, typeNames(f.Types)...)
		}
	}
	// Result types: only those named, plus the members of named unions.
	for _, name := range resultTypes {
		t, ok := s.Types[name]
		if !ok {
			return nil, fmt.Errorf("botspec: extract: no type %q", name)
		}
		out.Types[name] = t
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("botspec: extract: encode: %w", err)
	}
	return append(data, '\n'), nil
}

// typeNames strips "Array of " prefixes from the alternatives.
func typeNames(types []string) []string {
	out := make([]string, 0, len(types))
	for _, t := range types {
		for strings.HasPrefix(t, arrayOf) {
			t = strings.TrimPrefix(t, arrayOf)
		}
		out = append(out, t)
	}
	return out
}

const arrayOf = "Array of "

func isScalar(name string) bool {
	switch name {
	case "Integer", "String", "Boolean", "Float", "True", "InputFile":
		return true
	}
	return false
}

// Problem is one way a value departs from the spec. Path names the place
// inside the value, for example `prices[0].amount`.
type Problem struct {
	Path   string
	Reason string
}

func (p *Problem) Error() string {
	if p.Path == "" {
		return p.Reason
	}
	return p.Path + ": " + p.Reason
}

// Decode reads JSON keeping numbers exact, as [Spec.Check] expects.
func Decode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
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

// Check reports whether v (decoded by [Decode]) is one of types. path is the
// name used in the returned *Problem.
func (s *Spec) Check(path string, types []string, v any) error {
	if len(types) == 1 {
		return s.checkOne(path, types[0], v)
	}
	var best *Problem
	for _, t := range types {
		err := s.checkOne(path, t, v)
		if err == nil {
			return nil
		}
		// The alternative that got deepest into the value is the one the
		// sender meant; its problem is the useful one.
		if p, ok := err.(*Problem); ok && (best == nil || len(p.Path) > len(best.Path)) {
			best = p
		}
	}
	if best != nil && len(best.Path) > len(path) {
		return best
	}
	return &Problem{Path: path, Reason: "must be " + strings.Join(types, " or ") + ", got " + kind(v)}
}

func (s *Spec) checkOne(path, typ string, v any) error {
	if strings.HasPrefix(typ, arrayOf) {
		arr, ok := v.([]any)
		if !ok {
			return &Problem{Path: path, Reason: "must be " + typ + ", got " + kind(v)}
		}
		elem := strings.TrimPrefix(typ, arrayOf)
		for i, e := range arr {
			if err := s.checkOne(path+"["+strconv.Itoa(i)+"]", elem, e); err != nil {
				return err
			}
		}
		return nil
	}
	switch typ {
	case "Integer":
		n, ok := v.(json.Number)
		if !ok {
			return &Problem{Path: path, Reason: "must be Integer, got " + kind(v)}
		}
		if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
			return &Problem{Path: path, Reason: "must be Integer, got " + kind(v)}
		}
		return nil
	case "Float":
		if _, ok := v.(json.Number); !ok {
			return &Problem{Path: path, Reason: "must be Float, got " + kind(v)}
		}
		return nil
	case "String":
		if _, ok := v.(string); !ok {
			return &Problem{Path: path, Reason: "must be String, got " + kind(v)}
		}
		return nil
	case "Boolean":
		if _, ok := v.(bool); !ok {
			return &Problem{Path: path, Reason: "must be Boolean, got " + kind(v)}
		}
		return nil
	case "True":
		if b, ok := v.(bool); !ok || !b {
			return &Problem{Path: path, Reason: "must be True, got " + kind(v)}
		}
		return nil
	case "InputFile":
		// In a JSON value a file can only be named: a file_id, an URL or
		// attach://<part>. Uploaded parts are matched before Check is called.
		if _, ok := v.(string); !ok {
			return &Problem{Path: path, Reason: "must be InputFile, got " + kind(v)}
		}
		return nil
	}
	t, known := s.Types[typ]
	obj, isObject := v.(map[string]any)
	if !isObject {
		return &Problem{Path: path, Reason: "must be " + typ + ", got " + kind(v)}
	}
	if !known {
		return nil // not in the extract: opaque object
	}
	if len(t.Subtypes) > 0 {
		var first error
		for _, sub := range t.Subtypes {
			err := s.checkOne(path, sub, v)
			if err == nil {
				return nil
			}
			if first == nil {
				first = err
			}
		}
		return &Problem{Path: path, Reason: "matches no kind of " + typ + " (first: " + first.Error() + ")"}
	}
	return s.checkFields(path, t, obj)
}

func (s *Spec) checkFields(path string, t *Type, obj map[string]any) error {
	prefix := path
	if prefix != "" {
		prefix += "."
	}
	for _, f := range t.Fields {
		v, present := obj[f.Name]
		if !present {
			if f.Required {
				return &Problem{Path: prefix + f.Name, Reason: "is required in " + t.Name}
			}
			continue
		}
		if err := s.Check(prefix+f.Name, f.Types, v); err != nil {
			return err
		}
		if f.Const != "" && v != f.Const {
			return &Problem{Path: prefix + f.Name, Reason: fmt.Sprintf("must be %q in %s", f.Const, t.Name)}
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		if t.Field(k) == nil {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		sort.Strings(keys)
		return &Problem{Path: prefix + keys[0], Reason: "is not a field of " + t.Name}
	}
	return nil
}

// FromForm converts a form value (always a string on the wire) to the JSON
// value it stands for, following the field's types: numbers and booleans are
// parsed, objects and arrays are JSON-decoded, strings stay strings. The first
// alternative that fits wins, so chat_id "42" becomes the Integer 42.
func (s *Spec) FromForm(path string, types []string, raw string) (any, error) {
	var first error
	for _, typ := range types {
		v, err := fromForm(path, typ, raw)
		if err == nil {
			if err := s.checkOne(path, typ, v); err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			return v, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

func fromForm(path, typ, raw string) (any, error) {
	switch {
	case typ == "Integer":
		if _, err := strconv.ParseInt(raw, 10, 64); err != nil {
			return nil, &Problem{Path: path, Reason: fmt.Sprintf("must be Integer, got %q", raw)}
		}
		return json.Number(raw), nil
	case typ == "Float":
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			return nil, &Problem{Path: path, Reason: fmt.Sprintf("must be Float, got %q", raw)}
		}
		return json.Number(raw), nil
	case typ == "Boolean" || typ == "True":
		switch strings.ToLower(raw) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, &Problem{Path: path, Reason: fmt.Sprintf("must be Boolean, got %q", raw)}
	case typ == "String" || typ == "InputFile":
		return raw, nil
	default: // arrays and objects travel JSON-serialized
		v, err := Decode([]byte(raw))
		if err != nil {
			return nil, &Problem{Path: path, Reason: "can't parse " + typ + " JSON: " + err.Error()}
		}
		return v, nil
	}
}

func kind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "Boolean"
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return "Integer"
		}
		return "Float"
	case string:
		return "String"
	case []any:
		return "Array"
	case map[string]any:
		return "Object"
	}
	return fmt.Sprintf("%T", v)
}

// MethodNames returns the methods of s, sorted.
func (s *Spec) MethodNames() []string {
	names := make([]string, 0, len(s.Methods))
	for n := range s.Methods {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Generate turns the full spec into the compact one the fake embeds: the
// methods the fake serves and the object types it emits in results and
// updates (checked field by field). A method added to the fake goes here.
func Generate(full []byte) ([]byte, error) {
	s, err := Parse(full)
	if err != nil {
		return nil, err
	}
	methods := []string{
		"getMe", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo", "setMyCommands",
		"sendMessage", "editMessageText", "editMessageReplyMarkup", "answerCallbackQuery", "sendDocument",
		"sendInvoice", "answerPreCheckoutQuery", "refundStarPayment", "getMyStarBalance", "getStarTransactions",
		"setChatMenuButton",
		"getAvailableGifts", "sendGift", "giftPremiumSubscription",
	}
	resultTypes := []string{
		"Update", "Message", "User", "Chat", "MessageEntity", "CallbackQuery", "MaybeInaccessibleMessage",
		"InaccessibleMessage", "PreCheckoutQuery", "SuccessfulPayment", "RefundedPayment", "Invoice", "Document",
		"StarAmount", "StarTransactions", "StarTransaction", "TransactionPartner", "TransactionPartnerUser",
		"TransactionPartnerChat", "TransactionPartnerAffiliateProgram", "TransactionPartnerFragment",
		"TransactionPartnerTelegramAds", "TransactionPartnerTelegramApi", "TransactionPartnerOther",
		"RevenueWithdrawalState", "RevenueWithdrawalStatePending", "RevenueWithdrawalStateSucceeded",
		"RevenueWithdrawalStateFailed", "WebhookInfo", "ChatMemberUpdated", "ChatMember", "ChatMemberOwner",
		"ChatMemberAdministrator", "ChatMemberMember", "ChatMemberRestricted", "ChatMemberLeft", "ChatMemberBanned",
		"Gifts", "Gift", "Sticker",
	}
	return Extract(s, methods, resultTypes)
}
