package randomorg

import (
	"encoding/json"
	"fmt"
)

// JSON-RPC and RANDOM.ORG error codes. The JSON-RPC codes are from the
// Release 4 error-codes page (https://api.random.org/json-rpc/4/error-codes);
// the RANDOM.ORG codes and their meaning from the official Python client's
// error mapping (RandomOrg/JSON-RPC-Python rdoclient.py), see research
// fairness.md §3.1. Codes not listed here (e.g. the parameter-validation
// codes in the 200-300 range) are passed through unclassified.
const (
	CodeParseError     = -32700
	CodeInvalidRequest = -32600
	CodeMethodNotFound = -32601
	CodeInvalidParams  = -32602
	CodeInternalError  = -32603
	// CodeServerErrorMin..CodeServerErrorMax is JSON-RPC's range for
	// implementation-defined server errors.
	CodeServerErrorMin = -32099
	CodeServerErrorMax = -32000

	CodeKeyNotExist           = 400 // the API key does not exist
	CodeKeyNotRunning         = 401 // the API key is stopped
	CodeRequestsExceeded      = 402 // daily request allowance used up (until midnight UTC)
	CodeBitsExceeded          = 403 // bit allowance used up
	CodeKeyInvalidAccess      = 404 // the key may not call this method
	CodeKeyInvalidVersion     = 405 // the key is not valid for this API release
	CodeTicketNotExist        = 420
	CodeTicketKeyMismatch     = 421 // the ticket belongs to another API key
	CodeTicketUsed            = 422 // "each ticket can only be used once"
	CodeTooManySingletons     = 423
	CodeLicenseDataRequired   = 424
	CodeLicenseDataNotAllowed = 425
	CodeTicketNotUsed         = 426
)

// RPCError is an error object returned by the API. RANDOM.ORG errors are
// permanent for the request that caused them and are never retried;
// Transient reports the JSON-RPC server errors that are.
type RPCError struct {
	Code    int
	Message string
	// Data is the error's data member (null or a list of message arguments).
	Data json.RawMessage
}

func (e *RPCError) Error() string {
	return fmt.Sprintf("randomorg: error %d: %s", e.Code, e.Message)
}

// Transient reports whether retrying the same request may succeed: JSON-RPC
// internal errors (-32603) and implementation-defined server errors
// (-32000..-32099). RANDOM.ORG does not document any of its own codes as
// transient, so none is treated as such (402, allowance exceeded, lasts
// until midnight UTC and is left to the caller).
func (e *RPCError) Transient() bool {
	return e.Code == CodeInternalError || (e.Code >= CodeServerErrorMin && e.Code <= CodeServerErrorMax)
}

// HTTPError is a non-200 HTTP answer from the endpoint.
type HTTPError struct {
	StatusCode int
	// Body is the start of the response body, for diagnosis.
	Body string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("randomorg: http %d: %s", e.StatusCode, e.Body)
}

// Transient reports whether the status is worth retrying (5xx, 429).
func (e *HTTPError) Transient() bool { return e.StatusCode >= 500 || e.StatusCode == 429 }
