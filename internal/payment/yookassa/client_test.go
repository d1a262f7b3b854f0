package yookassa_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
)

func TestCreatePaymentSucceedGet(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()

	p, err := b.client.CreatePayment(ctx, "entry-7-42", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if p.Status != yookassa.PaymentPending || p.Paid || p.Confirmation == nil || p.Confirmation.ConfirmationURL == "" {
		t.Fatalf("created payment = %+v, want pending with a confirmation url", p)
	}
	if diff := cmp.Diff(yookassa.RUB(100_00), p.Amount); diff != "" {
		t.Fatalf("amount (-want +got):\n%s", diff)
	}

	calls := posts(b.fake, "/payments")
	if len(calls) != 1 {
		t.Fatalf("POST /payments calls = %d, want 1", len(calls))
	}
	var sent map[string]any
	if err := json.Unmarshal(calls[0].Body, &sent); err != nil {
		t.Fatalf("sent body: %v", err)
	}
	wantBody := map[string]any{
		"amount":       map[string]any{"value": "100.00", "currency": "RUB"},
		"capture":      true,
		"confirmation": map[string]any{"type": "redirect", "return_url": "https://t.me/fairdraw_bot"},
		"description":  "Участие в розыгрыше №7",
		"metadata":     map[string]any{"draw_id": "7", "tg_user_id": "42"},
	}
	if diff := cmp.Diff(wantBody, sent); diff != "" {
		t.Fatalf("sent body (-want +got):\n%s", diff)
	}
	if calls[0].IdempotenceKey != "entry-7-42" {
		t.Fatalf("Idempotence-Key = %q, want entry-7-42", calls[0].IdempotenceKey)
	}

	if err := b.fake.Succeed(p.ID); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	got, err := b.client.GetPayment(ctx, p.ID)
	if err != nil {
		t.Fatalf("GetPayment: %v", err)
	}
	if got.Status != yookassa.PaymentSucceeded || !got.Paid || !got.Refundable || got.CapturedAt == nil {
		t.Fatalf("payment after Succeed = %+v, want succeeded, paid, refundable, captured", got)
	}
	if got.IncomeAmount == nil || got.IncomeAmount.Value != 96_50 {
		t.Fatalf("income amount = %v, want 96.50 RUB (3.5%% fake fee)", got.IncomeAmount)
	}
	if diff := cmp.Diff(map[string]string{"draw_id": "7", "tg_user_id": "42"}, got.Metadata); diff != "" {
		t.Fatalf("metadata (-want +got):\n%s", diff)
	}
}

func TestTwoStagePayment(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()
	req := entryFee()
	req.TwoStage = true
	p, err := b.client.CreatePayment(ctx, "two-stage-1", req)
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if !strings.Contains(string(posts(b.fake, "/payments")[0].Body), `"capture":false`) {
		t.Fatalf("two-stage request does not send capture false: %s", posts(b.fake, "/payments")[0].Body)
	}
	if err := b.fake.Succeed(p.ID); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	got, err := b.client.GetPayment(ctx, p.ID)
	if err != nil {
		t.Fatalf("GetPayment: %v", err)
	}
	if got.Status != yookassa.PaymentWaitingForCapture || !got.Paid || got.ExpiresAt == nil {
		t.Fatalf("payment = %+v, want waiting_for_capture, paid, with expires_at", got)
	}
}

func TestRetryKeepsKeyAndBody(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		failures  int
		wantWaits []time.Duration
	}{
		{"500 outcome unknown", http.StatusInternalServerError, 2, []time.Duration{time.Second, 2 * time.Second}},
		{"503 from a proxy", http.StatusServiceUnavailable, 1, []time.Duration{time.Second}},
		{"429 honours Retry-After", http.StatusTooManyRequests, 2, []time.Duration{3 * time.Second, 3 * time.Second}},
		{"202 honours retry_after", http.StatusAccepted, 3, []time.Duration{3 * time.Second, 3 * time.Second, 3 * time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, yookassatest.Options{RetryAfter: 3 * time.Second}, nil)
			b.fake.FailNext("/payments", tc.failures, tc.status)

			p, err := b.client.CreatePayment(context.Background(), "entry-1", entryFee())
			if err != nil {
				t.Fatalf("CreatePayment: %v", err)
			}
			calls := posts(b.fake, "/payments")
			if len(calls) != tc.failures+1 {
				t.Fatalf("POST /payments calls = %d, want %d", len(calls), tc.failures+1)
			}
			for i, c := range calls {
				if c.IdempotenceKey != "entry-1" {
					t.Fatalf("call %d key = %q, want entry-1", i, c.IdempotenceKey)
				}
				if string(c.Body) != string(calls[0].Body) {
					t.Fatalf("call %d body differs:\n%s\nvs\n%s", i, c.Body, calls[0].Body)
				}
				wantStatus := tc.status
				if i == len(calls)-1 {
					wantStatus = http.StatusOK
				}
				if c.Status != wantStatus {
					t.Fatalf("call %d answered %d, want %d", i, c.Status, wantStatus)
				}
			}
			if diff := cmp.Diff([]string{p.ID}, b.fake.PaymentIDs()); diff != "" {
				t.Fatalf("payments in the fake (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantWaits, b.sleep.waits()); diff != "" {
				t.Fatalf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryOnGet(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()
	p, err := b.client.CreatePayment(ctx, "k1", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	b.fake.FailNext("/payments/"+p.ID, 1, http.StatusInternalServerError)
	if _, err := b.client.GetPayment(ctx, p.ID); err != nil {
		t.Fatalf("GetPayment after one 500: %v", err)
	}
}

func TestRetryGivesUp(t *testing.T) {
	b := setup(t, yookassatest.Options{}, func(c *yookassa.Config) { c.MaxRetries = 2 })
	b.fake.FailNext("/payouts", 3, http.StatusInternalServerError)
	req := yookassa.PayoutRequest{Amount: yookassa.RUB(500_00), Destination: yookassa.YooMoneyDestination("41001614575714")}

	_, err := b.client.CreatePayout(context.Background(), "payout-1-1", req)
	var apiErr *yookassa.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusInternalServerError || !apiErr.Retryable() {
		t.Fatalf("CreatePayout error = %v, want a retryable 500 *APIError", err)
	}
	if apiErr.Code != yookassa.CodeInternalServerError || apiErr.ID == "" {
		t.Fatalf("APIError = %+v, want code internal_server_error with an error id", apiErr)
	}
	if n := len(posts(b.fake, "/payouts")); n != 3 {
		t.Fatalf("POST /payouts calls = %d, want 3 (1 + MaxRetries)", n)
	}

	// The first attempt did pay (the fake lost the answers, as a 500 allows). The caller's job
	// comes back later with the stored key and gets that payout instead of paying again.
	p, err := b.client.CreatePayout(context.Background(), "payout-1-1", req)
	if err != nil {
		t.Fatalf("CreatePayout later with the same key: %v", err)
	}
	if diff := cmp.Diff([]string{p.ID}, b.fake.PayoutIDs()); diff != "" {
		t.Fatalf("payouts (-want +got):\n%s", diff)
	}
	if p.Status != yookassa.PayoutSucceeded {
		t.Fatalf("status = %s, want succeeded", p.Status)
	}
}

func TestRetryAfterLongerThanMaxBackoffIsReturned(t *testing.T) {
	b := setup(t, yookassatest.Options{RetryAfter: 2 * time.Minute}, nil)
	b.fake.FailNext("/payments", 1, http.StatusTooManyRequests)

	_, err := b.client.CreatePayment(context.Background(), "k1", entryFee())
	var apiErr *yookassa.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests {
		t.Fatalf("error = %v, want a 429 *APIError", err)
	}
	if apiErr.RetryAfter != 2*time.Minute || apiErr.Code != yookassa.CodeTooManyRequests {
		t.Fatalf("APIError = %+v, want too_many_requests with RetryAfter 2m", apiErr)
	}
	if n := len(b.sleep.waits()); n != 0 {
		t.Fatalf("client waited %d times, want 0", n)
	}
	if n := len(b.fake.PaymentIDs()); n != 0 {
		t.Fatalf("payments = %d, want 0 (a 429 is not performed)", n)
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := setup(t, yookassatest.Options{}, func(c *yookassa.Config) {
		c.Sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
	})
	b.fake.FailNext("/payments", 5, http.StatusInternalServerError)

	_, err := b.client.CreatePayment(ctx, "k1", entryFee())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	var apiErr *yookassa.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusInternalServerError {
		t.Fatalf("error = %v, want it to carry the last 500", err)
	}
}

func TestIdempotence(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()

	first, err := b.client.CreatePayment(ctx, "entry-9-1", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}

	t.Run("same key same body replays", func(t *testing.T) {
		again, err := b.client.CreatePayment(ctx, "entry-9-1", entryFee())
		if err != nil {
			t.Fatalf("CreatePayment again: %v", err)
		}
		if diff := cmp.Diff(first, again); diff != "" {
			t.Fatalf("replay differs (-first +again):\n%s", diff)
		}
	})

	t.Run("same key different body is a typed error", func(t *testing.T) {
		other := entryFee()
		other.Amount = yookassa.RUB(200_00)
		before := len(posts(b.fake, "/payments"))
		_, err := b.client.CreatePayment(ctx, "entry-9-1", other)
		var apiErr *yookassa.APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("error = %v, want *APIError", err)
		}
		want := &yookassa.APIError{Status: 400, Type: "error", Code: yookassa.CodeInvalidRequest,
			Description: "Idempotence key duplicated", Parameter: yookassa.ParamIdempotenceKey}
		if diff := cmp.Diff(want, apiErr, cmpopts.IgnoreFields(yookassa.APIError{}, "ID")); diff != "" {
			t.Fatalf("APIError (-want +got):\n%s", diff)
		}
		if !apiErr.IdempotenceKeyRejected() || apiErr.Retryable() {
			t.Fatalf("IdempotenceKeyRejected = %v, Retryable = %v; want true, false", apiErr.IdempotenceKeyRejected(), apiErr.Retryable())
		}
		if n := len(posts(b.fake, "/payments")) - before; n != 1 {
			t.Fatalf("sent %d times, want 1 (a 400 is not retried)", n)
		}
	})

	t.Run("key forgotten after 24 hours", func(t *testing.T) {
		b.fake.Advance(yookassa.IdempotenceWindow - time.Millisecond)
		within, err := b.client.CreatePayment(ctx, "entry-9-1", entryFee())
		if err != nil || within.ID != first.ID {
			t.Fatalf("just within 24h: %v, id %v; want the first payment %s", err, within, first.ID)
		}
		b.fake.Advance(time.Millisecond)
		after, err := b.client.CreatePayment(ctx, "entry-9-1", entryFee())
		if err != nil {
			t.Fatalf("after 24h: %v", err)
		}
		if after.ID == first.ID {
			t.Fatalf("after 24h the same key returned the old payment %s, want a new one", first.ID)
		}
		if n := len(b.fake.PaymentIDs()); n != 2 {
			t.Fatalf("payments = %d, want 2", n)
		}
	})
}

func TestPayoutOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		dest       *yookassa.PayoutDestination
		token      string
		script     func(*yookassatest.Server) error
		balance    int64
		drive      func(f *yookassatest.Server, id string) error
		wantStatus yookassa.PayoutStatus
		wantReason string
		wantParty  string
	}{
		{name: "anonymous test wallet succeeds", dest: yookassa.YooMoneyDestination("41001614575714"),
			wantStatus: yookassa.PayoutSucceeded},
		{name: "named test wallet succeeds", dest: yookassa.YooMoneyDestination("4100116075156746"),
			wantStatus: yookassa.PayoutSucceeded},
		{name: "identified test wallet succeeds", dest: yookassa.YooMoneyDestination("4100116074720387"),
			wantStatus: yookassa.PayoutSucceeded},
		{name: "test wallet one-time limit", dest: yookassa.YooMoneyDestination("41001614575572"),
			wantStatus: yookassa.PayoutCanceled, wantReason: yookassa.ReasonOneTimeLimitExceeded, wantParty: yookassa.PartyYooMoney},
		{name: "test wallet periodic limit", dest: yookassa.YooMoneyDestination("41001614575643"),
			wantStatus: yookassa.PayoutCanceled, wantReason: yookassa.ReasonPeriodicLimitExceeded, wantParty: yookassa.PartyYooMoney},
		{name: "test wallet insufficient funds", dest: yookassa.YooMoneyDestination("410011806060766"),
			wantStatus: yookassa.PayoutCanceled, wantReason: yookassa.ReasonInsufficientFunds, wantParty: yookassa.PartyYooMoney},
		{name: "test wallet general decline", dest: yookassa.YooMoneyDestination("410011788545536"),
			wantStatus: yookassa.PayoutCanceled, wantReason: yookassa.ReasonGeneralDecline, wantParty: yookassa.PartyYooMoney},
		{name: "sbp stays pending", dest: yookassa.SBPDestination("79000000000", "100000000111"),
			wantStatus: yookassa.PayoutPending},
		{name: "sbp pending then succeeded", dest: yookassa.SBPDestination("79000000000", "100000000111"),
			drive:      func(f *yookassatest.Server, id string) error { return f.SucceedPayout(id) },
			wantStatus: yookassa.PayoutSucceeded},
		{name: "sbp scripted recipient not found", dest: yookassa.SBPDestination("79000000001", "100000000111"),
			script: func(f *yookassatest.Server) error {
				return f.SetPayoutOutcome("79000000001", yookassa.ReasonRecipientNotFound)
			},
			wantStatus: yookassa.PayoutCanceled, wantReason: yookassa.ReasonRecipientNotFound, wantParty: yookassa.PartyPayoutNetwork},
		{name: "card token pending then rejected by payee", token: "hoiCz_UVAdi_eKEthqhjRIJp.SC.001.202101",
			drive: func(f *yookassatest.Server, id string) error {
				return f.CancelPayout(id, yookassa.ReasonRejectedByPayee)
			},
			wantStatus: yookassa.PayoutCanceled, wantReason: yookassa.ReasonRejectedByPayee, wantParty: yookassa.PartyPayoutNetwork},
		{name: "balance too small", dest: yookassa.YooMoneyDestination("41001614575714"), balance: 10_00,
			wantStatus: yookassa.PayoutCanceled, wantReason: yookassa.ReasonInsufficientFunds, wantParty: yookassa.PartyYooMoney},
	}
	const amount = 250_00
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, yookassatest.Options{PayoutBalance: tc.balance}, nil)
			ctx := context.Background()
			if tc.script != nil {
				if err := tc.script(b.fake); err != nil {
					t.Fatalf("script: %v", err)
				}
			}
			before, err := b.client.Me(ctx)
			if err != nil {
				t.Fatalf("Me: %v", err)
			}
			created, err := b.client.CreatePayout(ctx, "payout-77-1", yookassa.PayoutRequest{
				Amount:      yookassa.RUB(amount),
				Destination: tc.dest,
				PayoutToken: tc.token,
				Description: "Выигрыш в розыгрыше №7",
				Metadata:    map[string]string{"payout_id": "77"},
			})
			if err != nil {
				t.Fatalf("CreatePayout: %v", err)
			}
			if tc.drive != nil {
				if err := tc.drive(b.fake, created.ID); err != nil {
					t.Fatalf("drive: %v", err)
				}
			}
			p, err := b.client.GetPayout(ctx, created.ID)
			if err != nil {
				t.Fatalf("GetPayout: %v", err)
			}
			if p.Status != tc.wantStatus {
				t.Fatalf("status = %s, want %s", p.Status, tc.wantStatus)
			}
			var gotReason, gotParty string
			if p.CancellationDetails != nil {
				gotReason, gotParty = p.CancellationDetails.Reason, p.CancellationDetails.Party
			}
			if gotReason != tc.wantReason || gotParty != tc.wantParty {
				t.Fatalf("cancellation = %q by %q, want %q by %q", gotReason, gotParty, tc.wantReason, tc.wantParty)
			}
			if (p.Status == yookassa.PayoutSucceeded) != (p.SucceededAt != nil) {
				t.Fatalf("succeeded_at = %v for status %s", p.SucceededAt, p.Status)
			}
			if p.Metadata["payout_id"] != "77" || !p.Test || p.ID[:3] != "po-" {
				t.Fatalf("payout = %+v, want metadata, test, po- id", p)
			}
			after, err := b.client.Me(ctx)
			if err != nil {
				t.Fatalf("Me: %v", err)
			}
			wantSpent := int64(0)
			if p.Status != yookassa.PayoutCanceled {
				wantSpent = amount
			}
			if spent := before.PayoutBalance.Value - after.PayoutBalance.Value; spent != wantSpent {
				t.Fatalf("balance went down by %d, want %d", spent, wantSpent)
			}
		})
	}
}

func TestPayoutDestinationsOnTheWire(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()
	if _, err := b.client.CreatePayout(ctx, "sbp-1", yookassa.PayoutRequest{
		Amount: yookassa.RUB(80_00), Destination: yookassa.SBPDestination("79000000000", "100000000111"),
		Description: "Выплата по заказу №37", Metadata: map[string]string{"order_id": "37"}}); err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	// The research's SBP request example (official PHP SDK docs, §5.4).
	want := `{"amount":{"value":"80.00","currency":"RUB"},"payout_destination_data":{"type":"sbp","phone":"79000000000","bank_id":"100000000111"},"description":"Выплата по заказу №37","metadata":{"order_id":"37"}}`
	if got := string(posts(b.fake, "/payouts")[0].Body); got != want {
		t.Fatalf("body:\n%s\nwant:\n%s", got, want)
	}
	p, err := b.client.GetPayout(ctx, b.fake.PayoutIDs()[0])
	if err != nil {
		t.Fatalf("GetPayout: %v", err)
	}
	wantDest := yookassa.PayoutDestinationResponse{Type: yookassa.PayoutSBP, Phone: "79000000000", BankID: "100000000111"}
	if diff := cmp.Diff(wantDest, p.Destination); diff != "" {
		t.Fatalf("destination (-want +got):\n%s", diff)
	}
}

func TestFindPayoutsByMetadata(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()
	send := func(key, ourID string) *yookassa.Payout {
		t.Helper()
		p, err := b.client.CreatePayout(ctx, key, yookassa.PayoutRequest{
			Amount: yookassa.RUB(100_00), Destination: yookassa.YooMoneyDestination("41001614575714"),
			Metadata: map[string]string{"payout_id": ourID}})
		if err != nil {
			t.Fatalf("CreatePayout: %v", err)
		}
		return p
	}
	first := send("payout-1-1", "1")
	send("payout-2-1", "2")

	// A day later the key is gone; look before paying again.
	b.fake.Advance(25 * time.Hour)
	found, err := b.client.FindPayoutsByMetadata(ctx, "payout_id", "1")
	if err != nil {
		t.Fatalf("FindPayoutsByMetadata: %v", err)
	}
	if len(found) != 1 || found[0].ID != first.ID {
		t.Fatalf("found %v, want exactly %s", found, first.ID)
	}
	none, err := b.client.FindPayoutsByMetadata(ctx, "payout_id", "3")
	if err != nil || len(none) != 0 {
		t.Fatalf("FindPayoutsByMetadata(3) = %v, %v; want none", none, err)
	}
	q := b.fake.Calls()[len(b.fake.Calls())-1].Query
	if !strings.Contains(q, "metadata%5Bpayout_id%5D=3") {
		t.Fatalf("search query = %q, want metadata%%5Bpayout_id%%5D=3", q)
	}

	// Sending the same payout after the window with the same key would pay twice; the search
	// is what tells the caller there are now two.
	send("payout-1-1", "1")
	dup, err := b.client.FindPayoutsByMetadata(ctx, "payout_id", "1")
	if err != nil || len(dup) != 2 {
		t.Fatalf("after a late resend found %d (%v), want 2", len(dup), err)
	}

	// Payouts older than 3 months are out of the search's reach.
	b.fake.Advance(100 * 24 * time.Hour)
	old, err := b.client.FindPayoutsByMetadata(ctx, "payout_id", "2")
	if err != nil || len(old) != 0 {
		t.Fatalf("old payout search = %v, %v; want none", old, err)
	}
	if _, err := b.client.GetPayout(ctx, first.ID); err != nil {
		t.Fatalf("GetPayout still finds an old payout by id: %v", err)
	}
}

func TestListPagination(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()
	var ids []string
	for _, key := range []string{"a", "b", "c"} {
		p, err := b.client.CreatePayment(ctx, key, entryFee())
		if err != nil {
			t.Fatalf("CreatePayment: %v", err)
		}
		ids = append(ids, p.ID)
	}
	if err := b.fake.Succeed(ids[1]); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	page1, err := b.client.ListPayments(ctx, yookassa.ListPaymentsParams{ListParams: yookassa.ListParams{Limit: 2}})
	if err != nil {
		t.Fatalf("ListPayments: %v", err)
	}
	page2, err := b.client.ListPayments(ctx, yookassa.ListPaymentsParams{ListParams: yookassa.ListParams{Limit: 2, Cursor: page1.NextCursor}})
	if err != nil {
		t.Fatalf("ListPayments page 2: %v", err)
	}
	var got []string
	for _, p := range append(page1.Items, page2.Items...) {
		got = append(got, p.ID)
	}
	if diff := cmp.Diff([]string{ids[2], ids[1], ids[0]}, got); diff != "" {
		t.Fatalf("newest first (-want +got):\n%s", diff)
	}
	if page2.NextCursor != "" {
		t.Fatalf("last page has next_cursor %q", page2.NextCursor)
	}
	pending, err := b.client.ListPayments(ctx, yookassa.ListPaymentsParams{Status: yookassa.PaymentPending})
	if err != nil || len(pending.Items) != 2 {
		t.Fatalf("pending payments = %v, %v; want 2", pending, err)
	}
}

func TestRefunds(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()
	p, err := b.client.CreatePayment(ctx, "entry-1", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}

	_, err = b.client.CreateRefund(ctx, "refund-early", yookassa.RefundRequest{PaymentID: p.ID, Amount: yookassa.RUB(10_00)})
	var apiErr *yookassa.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("refund of a pending payment: %v, want 400", err)
	}

	if err := b.fake.Succeed(p.ID); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	r, err := b.client.CreateRefund(ctx, "refund-1", yookassa.RefundRequest{PaymentID: p.ID, Amount: yookassa.RUB(40_00),
		Description: "Розыгрыш отменён"})
	if err != nil {
		t.Fatalf("CreateRefund: %v", err)
	}
	if r.Status != yookassa.RefundSucceeded || r.PaymentID != p.ID || r.Amount.Value != 40_00 {
		t.Fatalf("refund = %+v", r)
	}
	_, err = b.client.CreateRefund(ctx, "refund-2", yookassa.RefundRequest{PaymentID: p.ID, Amount: yookassa.RUB(60_01)})
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest || apiErr.Parameter != "amount" {
		t.Fatalf("refund above what is left: %v, want 400 on amount", err)
	}
	got, err := b.client.GetRefund(ctx, r.ID)
	if err != nil || got.Status != yookassa.RefundSucceeded {
		t.Fatalf("GetRefund = %+v, %v", got, err)
	}
	paid, err := b.client.GetPayment(ctx, p.ID)
	if err != nil || paid.RefundedAmount == nil || paid.RefundedAmount.Value != 40_00 || !paid.Refundable {
		t.Fatalf("payment after refund = %+v, %v; want refunded 40.00 and still refundable", paid, err)
	}
	list, err := b.client.ListRefunds(ctx, yookassa.ListRefundsParams{PaymentID: p.ID})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != r.ID {
		t.Fatalf("ListRefunds = %+v, %v", list, err)
	}
}

func TestPendingRefund(t *testing.T) {
	b := setup(t, yookassatest.Options{RefundsPending: true}, nil)
	ctx := context.Background()
	p, err := b.client.CreatePayment(ctx, "entry-1", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if err := b.fake.Succeed(p.ID); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	r, err := b.client.CreateRefund(ctx, "refund-1", yookassa.RefundRequest{PaymentID: p.ID, Amount: p.Amount})
	if err != nil || r.Status != yookassa.RefundPending {
		t.Fatalf("CreateRefund = %+v, %v; want pending", r, err)
	}
	if err := b.fake.CancelRefund(r.ID, yookassa.ReasonRejectedByTimeout); err != nil {
		t.Fatalf("CancelRefund: %v", err)
	}
	got, err := b.client.GetRefund(ctx, r.ID)
	if err != nil {
		t.Fatalf("GetRefund: %v", err)
	}
	want := &yookassa.CancellationDetails{Party: yookassa.PartyRefundNetwork, Reason: yookassa.ReasonRejectedByTimeout}
	if diff := cmp.Diff(want, got.CancellationDetails); got.Status != yookassa.RefundCanceled || diff != "" {
		t.Fatalf("refund status %s, cancellation (-want +got):\n%s", got.Status, diff)
	}
	// The canceled refund frees the amount again.
	r2, err := b.client.CreateRefund(ctx, "refund-2", yookassa.RefundRequest{PaymentID: p.ID, Amount: p.Amount})
	if err != nil {
		t.Fatalf("second CreateRefund: %v", err)
	}
	if err := b.fake.SucceedRefund(r2.ID); err != nil {
		t.Fatalf("SucceedRefund: %v", err)
	}
	if got, err := b.client.GetPayment(ctx, p.ID); err != nil || got.Refundable {
		t.Fatalf("fully refunded payment = %+v, %v; want not refundable", got, err)
	}
}

func TestCredentials(t *testing.T) {
	t.Run("wrong shop secret", func(t *testing.T) {
		b := setup(t, yookassatest.Options{}, func(c *yookassa.Config) { c.SecretKey = "wrong" })
		_, err := b.client.GetPayment(context.Background(), "2e8dd95a-000f-5000-a000-1e3515f51c18")
		var apiErr *yookassa.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Code != yookassa.CodeInvalidCredentials {
			t.Fatalf("error = %v, want 401 invalid_credentials", err)
		}
	})
	t.Run("payouts use the gateway pair", func(t *testing.T) {
		b := setup(t, yookassatest.Options{}, func(c *yookassa.Config) {
			c.PayoutAgentID, c.PayoutSecretKey = c.ShopID, c.SecretKey
		})
		_, err := b.client.SBPBanks(context.Background())
		var apiErr *yookassa.APIError
		if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
			t.Fatalf("SBPBanks with shop credentials: %v, want 401", err)
		}
	})
	t.Run("missing gateway pair", func(t *testing.T) {
		b := setup(t, yookassatest.Options{}, func(c *yookassa.Config) { c.PayoutAgentID, c.PayoutSecretKey = "", "" })
		_, err := b.client.Me(context.Background())
		if !errors.Is(err, yookassa.ErrInvalidRequest) {
			t.Fatalf("Me without gateway credentials: %v, want ErrInvalidRequest", err)
		}
		if n := len(b.fake.Calls()); n != 0 {
			t.Fatalf("calls = %d, want 0", n)
		}
	})
	t.Run("New requires shop credentials", func(t *testing.T) {
		if _, err := yookassa.New(yookassa.Config{}); err == nil {
			t.Fatalf("New with no credentials succeeded")
		}
		if _, err := yookassa.New(yookassa.Config{BaseURL: "api.yookassa.ru", ShopID: "1", SecretKey: "s"}); err == nil {
			t.Fatalf("New with a relative base url succeeded")
		}
	})
}

func TestNotFound(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()
	_, err := b.client.GetPayment(ctx, "00000000-000f-5000-a000-000000000000")
	if !errors.Is(err, yookassa.ErrNotFound) {
		t.Fatalf("GetPayment(unknown) = %v, want ErrNotFound", err)
	}
	var apiErr *yookassa.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != yookassa.CodeNotFound || apiErr.Type != "error" || apiErr.ID == "" {
		t.Fatalf("APIError = %+v, want YooKassa's error body", apiErr)
	}
	if _, err := b.client.GetPayout(ctx, "po-00000000-000f-5000-a000-000000000000"); !errors.Is(err, yookassa.ErrNotFound) {
		t.Fatalf("GetPayout(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := b.client.GetRefund(ctx, "00000000-000f-5000-a000-000000000000"); !errors.Is(err, yookassa.ErrNotFound) {
		t.Fatalf("GetRefund(unknown) = %v, want ErrNotFound", err)
	}
}

func TestRequestsRefusedBeforeSending(t *testing.T) {
	longText := strings.Repeat("я", 129)
	manyKeys := map[string]string{}
	for i := 0; i < 17; i++ {
		manyKeys[string(rune('a'+i))] = "v"
	}
	wallet := yookassa.YooMoneyDestination("41001614575714")
	tests := []struct {
		name string
		call func(context.Context, *yookassa.Client) error
	}{
		{"empty key", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreatePayment(ctx, "", entryFee())
			return err
		}},
		{"key with a colon", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreatePayment(ctx, "payout:1", entryFee())
			return err
		}},
		{"key of 65 characters", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreatePayment(ctx, strings.Repeat("k", 65), entryFee())
			return err
		}},
		{"zero amount", func(ctx context.Context, c *yookassa.Client) error {
			r := entryFee()
			r.Amount = yookassa.RUB(0)
			_, err := c.CreatePayment(ctx, "k", r)
			return err
		}},
		{"no return url", func(ctx context.Context, c *yookassa.Client) error {
			r := entryFee()
			r.ReturnURL = ""
			_, err := c.CreatePayment(ctx, "k", r)
			return err
		}},
		{"description of 129 characters", func(ctx context.Context, c *yookassa.Client) error {
			r := entryFee()
			r.Description = longText
			_, err := c.CreatePayment(ctx, "k", r)
			return err
		}},
		{"17 metadata keys", func(ctx context.Context, c *yookassa.Client) error {
			r := entryFee()
			r.Metadata = manyKeys
			_, err := c.CreatePayment(ctx, "k", r)
			return err
		}},
		{"receipt without items", func(ctx context.Context, c *yookassa.Client) error {
			r := entryFee()
			r.Receipt = &yookassa.Receipt{}
			_, err := c.CreatePayment(ctx, "k", r)
			return err
		}},
		{"payout with two destinations", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreatePayout(ctx, "k", yookassa.PayoutRequest{Amount: yookassa.RUB(100), Destination: wallet, PayoutToken: "t"})
			return err
		}},
		{"payout without destination", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreatePayout(ctx, "k", yookassa.PayoutRequest{Amount: yookassa.RUB(100)})
			return err
		}},
		{"sbp phone with plus", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreatePayout(ctx, "k", yookassa.PayoutRequest{Amount: yookassa.RUB(100),
				Destination: yookassa.SBPDestination("+79000000000", "100000000111")})
			return err
		}},
		{"sbp short bank id", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreatePayout(ctx, "k", yookassa.PayoutRequest{Amount: yookassa.RUB(100),
				Destination: yookassa.SBPDestination("79000000000", "1000")})
			return err
		}},
		{"wallet too short", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreatePayout(ctx, "k", yookassa.PayoutRequest{Amount: yookassa.RUB(100),
				Destination: yookassa.YooMoneyDestination("4100")})
			return err
		}},
		{"refund without payment", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.CreateRefund(ctx, "k", yookassa.RefundRequest{Amount: yookassa.RUB(100)})
			return err
		}},
		{"id that changes the path", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.GetPayment(ctx, "../payouts")
			return err
		}},
		{"limit above 100", func(ctx context.Context, c *yookassa.Client) error {
			_, err := c.ListPayouts(ctx, yookassa.ListPayoutsParams{ListParams: yookassa.ListParams{Limit: 101}})
			return err
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t, yookassatest.Options{}, nil)
			err := tc.call(context.Background(), b.client)
			if !errors.Is(err, yookassa.ErrInvalidRequest) {
				t.Fatalf("error = %v, want ErrInvalidRequest", err)
			}
			if n := len(b.fake.Calls()); n != 0 {
				t.Fatalf("calls = %d, want 0", n)
			}
		})
	}
}

func TestReceiptOnTheWire(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	r := entryFee()
	r.Receipt = &yookassa.Receipt{
		Customer: &yookassa.ReceiptCustomer{Email: "user@example.com"},
		Items: []yookassa.ReceiptItem{{Description: "Участие в розыгрыше №7", Quantity: "1", Amount: yookassa.RUB(100_00),
			VatCode: 1, Measure: "piece", PaymentSubject: "service", PaymentMode: "full_payment"}},
	}
	if _, err := b.client.CreatePayment(context.Background(), "k", r); err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	body := string(posts(b.fake, "/payments")[0].Body)
	want := `"receipt":{"customer":{"email":"user@example.com"},"items":[{"description":"Участие в розыгрыше №7","quantity":1,"amount":{"value":"100.00","currency":"RUB"},"vat_code":1,"measure":"piece","payment_subject":"service","payment_mode":"full_payment"}]}`
	if !strings.Contains(body, want) {
		t.Fatalf("body %s\ndoes not contain %s", body, want)
	}

	r.Receipt.Items[0].Amount = yookassa.RUB(99_00)
	_, err := b.client.CreatePayment(context.Background(), "k2", r)
	var apiErr *yookassa.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("receipt not adding up: %v, want 400", err)
	}
}

func TestSBPBanksAndMe(t *testing.T) {
	b := setup(t, yookassatest.Options{PayoutBalance: 12_345_67}, nil)
	ctx := context.Background()
	banks, err := b.client.SBPBanks(ctx)
	if err != nil {
		t.Fatalf("SBPBanks: %v", err)
	}
	if diff := cmp.Diff([]yookassa.SBPBank{{BankID: "100000000111", Name: "Сбербанк", BIC: "044525225"}}, banks); diff != "" {
		t.Fatalf("banks (-want +got):\n%s", diff)
	}
	me, err := b.client.Me(ctx)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	want := &yookassa.Me{AccountID: yookassatest.DefaultGatewayID, Status: "enabled", Test: true, Name: "fake payout gateway",
		PayoutMethods: []string{"bank_card", "yoo_money", "sbp"}, PayoutBalance: &yookassa.Balance{Value: 12_345_67, Currency: "RUB"}}
	if diff := cmp.Diff(want, me); diff != "" {
		t.Fatalf("Me (-want +got):\n%s", diff)
	}
	b.fake.SetPayoutBalance(-5_00)
	if me, err := b.client.Me(ctx); err != nil || me.PayoutBalance.Value != -5_00 {
		t.Fatalf("negative test-gateway balance: %+v, %v", me, err)
	}
}

func TestDecodeDocumentedObjects(t *testing.T) {
	t.Run("created payment", func(t *testing.T) {
		var p yookassa.Payment
		readJSON(t, "testdata/payment_created.json", &p)
		if p.ID != "23d93cac-000f-5000-8000-126628f15141" || p.Status != yookassa.PaymentPending ||
			p.Amount != yookassa.RUB(100_00) || p.Confirmation.Type != "redirect" ||
			!strings.HasPrefix(p.Confirmation.ConfirmationURL, "https://yoomoney.ru/") ||
			p.Recipient.AccountID != "100500" || p.CreatedAt.IsZero() {
			t.Fatalf("payment = %+v", p)
		}
	})
	t.Run("canceled payout", func(t *testing.T) {
		var p yookassa.Payout
		readJSON(t, "testdata/payout_canceled.json", &p)
		want := yookassa.Payout{
			ID:     "po-285ec15d-0003-5000-a000-08d1bec7dade",
			Amount: yookassa.RUB(5_00),
			Status: yookassa.PayoutCanceled,
			Destination: yookassa.PayoutDestinationResponse{Type: yookassa.PayoutBankCard, Card: &yookassa.PayoutCard{
				First6: "444444", Last4: "4448", CardType: "Visa", IssuerCountry: "PL", IssuerName: "Krakowski Bank Spoldzielczy"}},
			Description:         "Выплата по заказу №37",
			CreatedAt:           time.Date(2021, 6, 16, 13, 4, 55, 633_000_000, time.UTC),
			Metadata:            map[string]string{"order_id": "37"},
			CancellationDetails: &yookassa.CancellationDetails{Party: "yoo_money", Reason: "general_decline"},
		}
		if diff := cmp.Diff(want, p); diff != "" {
			t.Fatalf("payout (-want +got):\n%s", diff)
		}
	})
	t.Run("succeeded payment notification object", func(t *testing.T) {
		var n struct {
			Object yookassa.Payment `json:"object"`
		}
		readJSON(t, "testdata/notification_succeeded.json", &n)
		p := n.Object
		if p.IncomeAmount.Value != 964 || p.RefundedAmount.Value != 0 || p.PaymentMethod.Card.Last4 != "4477" || !p.Test {
			t.Fatalf("payment = %+v", p)
		}
	})
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

func TestPayoutLimits(t *testing.T) {
	tests := []struct {
		name    string
		method  yookassa.PayoutMethod
		kopecks int64
		wantErr bool
	}{
		{"card minimum 5 rubles", yookassa.PayoutBankCard, 5_00, false},
		{"card below minimum", yookassa.PayoutBankCard, 4_99, true},
		{"card maximum", yookassa.PayoutBankCard, 500_000_00, false},
		{"card above maximum", yookassa.PayoutBankCard, 500_000_01, true},
		{"sbp minimum 1 ruble", yookassa.PayoutSBP, 1_00, false},
		{"sbp below minimum", yookassa.PayoutSBP, 99, true},
		{"sbp above maximum", yookassa.PayoutSBP, 500_000_01, true},
		{"wallet minimum", yookassa.PayoutYooMoney, 1_00, false},
		{"wallet above maximum", yookassa.PayoutYooMoney, 500_000_01, true},
		{"unknown method", yookassa.PayoutMethod("cash"), 100_00, true},
		{"negative", yookassa.PayoutSBP, -1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := yookassa.CheckPayoutAmount(tc.method, tc.kopecks)
			if (err != nil) != tc.wantErr {
				t.Fatalf("CheckPayoutAmount(%s, %d) = %v, want error %v", tc.method, tc.kopecks, err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, yookassa.ErrPayoutAmountOutOfRange) {
				t.Fatalf("error %v does not wrap ErrPayoutAmountOutOfRange", err)
			}
		})
	}
	if lo, hi := yookassa.PayoutLimits(yookassa.PayoutBankCard); lo != 5_00 || hi != 500_000_00 {
		t.Fatalf("PayoutLimits(bank_card) = %d, %d", lo, hi)
	}
	if lo, hi := yookassa.PayoutLimits("cash"); lo != 0 || hi != 0 {
		t.Fatalf("PayoutLimits(cash) = %d, %d; want 0, 0", lo, hi)
	}
}

func TestLogsHoldNoSecretsOrBodies(t *testing.T) {
	var buf strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return buf.Write(p)
	}), &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := setup(t, yookassatest.Options{}, func(c *yookassa.Config) { c.Logger = logger })
	b.fake.FailNext("/payouts", 2, http.StatusInternalServerError)
	if _, err := b.client.CreatePayout(context.Background(), "payout-9-1", yookassa.PayoutRequest{
		Amount: yookassa.RUB(100_00), Destination: yookassa.SBPDestination("79001234567", "100000000111")}); err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	mu.Lock()
	logged := buf.String()
	mu.Unlock()
	if strings.Count(logged, "yookassa request retry") != 2 || !strings.Contains(logged, "payout-9-1") {
		t.Fatalf("want two retry records with the key, got:\n%s", logged)
	}
	for _, secret := range []string{yookassatest.DefaultGatewaySecretKey, yookassatest.DefaultShopSecretKey, "79001234567", "100.00"} {
		if strings.Contains(logged, secret) {
			t.Fatalf("log contains %q:\n%s", secret, logged)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// flakyTransport fails the first n requests before they reach the server.
type flakyTransport struct {
	mu sync.Mutex
	n  int
}

func (f *flakyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	fail := f.n > 0
	f.n--
	f.mu.Unlock()
	if fail {
		return nil, errors.New("connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestRetryAfterTransportError(t *testing.T) {
	b := setup(t, yookassatest.Options{}, func(c *yookassa.Config) {
		c.HTTPClient = &http.Client{Transport: &flakyTransport{n: 2}}
	})
	p, err := b.client.CreatePayment(context.Background(), "entry-net", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if diff := cmp.Diff([]string{p.ID}, b.fake.PaymentIDs()); diff != "" {
		t.Fatalf("payments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, b.sleep.waits()); diff != "" {
		t.Fatalf("waits (-want +got):\n%s", diff)
	}
}

func TestListPayoutsFilters(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	ctx := context.Background()
	wallet, err := b.client.CreatePayout(ctx, "w-1", yookassa.PayoutRequest{Amount: yookassa.RUB(100_00),
		Destination: yookassa.YooMoneyDestination("41001614575714")})
	if err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	b.fake.Advance(time.Hour)
	sbp, err := b.client.CreatePayout(ctx, "s-1", yookassa.PayoutRequest{Amount: yookassa.RUB(100_00),
		Destination: yookassa.SBPDestination("79000000000", "100000000111")})
	if err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	if got := (yookassa.PayoutRequest{PayoutToken: "t"}).Method(); got != yookassa.PayoutBankCard {
		t.Fatalf("token payout method = %s, want bank_card", got)
	}
	tests := []struct {
		name string
		p    yookassa.ListPayoutsParams
		want []string
	}{
		{"all, newest first", yookassa.ListPayoutsParams{}, []string{sbp.ID, wallet.ID}},
		{"by method", yookassa.ListPayoutsParams{Method: yookassa.PayoutSBP}, []string{sbp.ID}},
		{"by status", yookassa.ListPayoutsParams{Status: yookassa.PayoutSucceeded}, []string{wallet.ID}},
		{"created before", yookassa.ListPayoutsParams{ListParams: yookassa.ListParams{CreatedLT: sbp.CreatedAt}}, []string{wallet.ID}},
		{"created from", yookassa.ListPayoutsParams{ListParams: yookassa.ListParams{CreatedGTE: sbp.CreatedAt}}, []string{sbp.ID}},
		{"created after", yookassa.ListPayoutsParams{ListParams: yookassa.ListParams{CreatedGT: wallet.CreatedAt, CreatedLTE: sbp.CreatedAt}}, []string{sbp.ID}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := b.client.ListPayouts(ctx, tc.p)
			if err != nil {
				t.Fatalf("ListPayouts: %v", err)
			}
			got := []string{}
			for _, p := range l.Items {
				got = append(got, p.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfirmationURLResolves(t *testing.T) {
	b := setup(t, yookassatest.Options{}, nil)
	p, err := b.client.CreatePayment(context.Background(), "k", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	resp, err := http.Get(p.Confirmation.ConfirmationURL)
	if err != nil {
		t.Fatalf("GET confirmation url: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("confirmation url answered %d", resp.StatusCode)
	}
}
