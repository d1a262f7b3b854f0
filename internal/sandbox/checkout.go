package sandbox

import (
	"html/template"
	"log/slog"
	"net/http"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// checkoutTmpl stands in for YooKassa's payment page: the payer pays, declines (the payment is
// then cancelled as YooKassa cancels one never confirmed), or leaves it open and goes back.
var checkoutTmpl = template.Must(template.New("checkout").Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>ЮKassa (песочница) · payment {{.ID}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:0 auto;padding:0 1rem;color:#1d1d1f}
.card{border:1px solid #d0d0d8;border-radius:12px;padding:1rem 1.25rem;margin-top:1.5rem}
.amount{font-size:2rem;font-weight:600}button,a.btn{font:inherit;padding:.6rem 1.1rem;border-radius:8px;border:1px solid #888;background:#fff;cursor:pointer;margin:.25rem .25rem 0 0;text-decoration:none;color:inherit;display:inline-block}
button.pay{background:#0070f0;color:#fff;border-color:#0070f0}.status{color:#666}</style></head>
<body><div class="card">
<p class="status">ЮKassa · stand-in checkout · платёж <code>{{.ID}}</code></p>
<p>{{.Description}}</p>
<p class="amount">{{.Amount}}</p>
{{if .Pending}}
<form method="post" action="/sandbox/checkout">
<input type="hidden" name="orderId" value="{{.ID}}">
<button class="pay" name="action" value="pay" id="checkout-pay">Оплатить · Pay</button>
<button name="action" value="cancel" id="checkout-cancel">Отказаться · Cancel</button>
<a class="btn" href="/sandbox" id="checkout-leave">Уйти, не платя · Leave</a>
</form>
<p class="status">Тестовая карта 5555 5555 5555 4477. «Отказаться» отменяет платёж, как ЮKassa отменяет неподтверждённый (expired_on_confirmation); «Уйти» оставляет его ожидать оплаты.</p>
{{else}}
<p>Статус платежа · status: <b id="checkout-status">{{.Status}}</b></p>
<a class="btn" href="/sandbox">Вернуться в чат · Back to the chat</a>
{{end}}
</div></body></html>`))

type checkoutView struct {
	ID, Description, Amount, Status string
	Pending                         bool
}

// checkoutPage serves GET /sandbox/checkout?orderId=ID.
func (c *Chat) checkoutPage(w http.ResponseWriter, r *http.Request) {
	p, ok := c.yk.PaymentByID(r.URL.Query().Get("orderId"))
	if !ok {
		http.Error(w, "no such payment in the sandbox's YooKassa", http.StatusNotFound)
		return
	}
	v := checkoutView{ID: p.ID, Description: p.Description, Amount: i18n.Money(i18n.RU, p.Kopecks, ledger.RUB),
		Status: p.Status, Pending: p.Status == string(yookassa.PaymentPending)}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := checkoutTmpl.Execute(w, v); err != nil {
		c.logger.Error("sandbox checkout page", slog.Any("error", err))
	}
}

// checkoutAction serves POST /sandbox/checkout: pay or cancel, then back to the chat, as
// YooKassa sends the payer to the return URL. Both move the payment at the YooKassa stand-in,
// which notifies the bot's webhook exactly as YooKassa would.
func (c *Chat) checkoutAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	id := r.PostForm.Get("orderId")
	if _, ok := c.yk.PaymentByID(id); !ok {
		http.Error(w, "no such payment in the sandbox's YooKassa", http.StatusNotFound)
		return
	}
	var err error
	switch r.PostForm.Get("action") {
	case "pay":
		err = c.yk.Succeed(id)
	case "cancel":
		err = c.yk.Cancel(id, yookassa.ReasonExpiredOnConfirmation)
	default:
		http.Error(w, "action must be pay or cancel", http.StatusBadRequest)
		return
	}
	if err != nil {
		// Paid or cancelled already (a second tab, a double click): show the payment as it is.
		http.Redirect(w, r, "/sandbox/checkout?orderId="+id, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/sandbox", http.StatusSeeOther)
}
