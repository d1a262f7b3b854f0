package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// browser starts headless Chromium (Debian's package) for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is not installed (.ci/run installs it): %v", err)
		}
		t.Skipf("chromium is not installed: apt-get install chromium")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // Chromium runs as root here.
		chromedp.WindowSize(1680, 1050),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// page actions on the chat, each identified by the user's id.
func say(user int64, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.ID(fmt.Sprintf("input-%d", user))),
		chromedp.SetValue(chromedp.ID(fmt.Sprintf("input-%d", user)), text),
		chromedp.Click(chromedp.ID(fmt.Sprintf("send-%d", user))),
	)
}

// clickLast clicks the newest element matching selector in the user's chat, waiting for one.
func clickLast(user int64, selector string) chromedp.Action[chromedp.Void] {
	js := fmt.Sprintf(`(() => { const all = document.querySelectorAll(%q); if (!all.length) return false; all[all.length-1].click(); return true })()`,
		fmt.Sprintf("#log-%d %s", user, selector))
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))
}

func clickData(user int64, data string) chromedp.Action[chromedp.Void] {
	return clickLast(user, fmt.Sprintf(`button[data-data=%q]`, data))
}

// waitText waits until the user's chat shows any of subs.
func waitText(user int64, subs ...string) chromedp.Action[chromedp.Void] {
	var conds []string
	for _, s := range subs {
		conds = append(conds, fmt.Sprintf("t.includes(%q)", s))
	}
	js := fmt.Sprintf(`(() => { const l = document.getElementById("log-%d"); if (!l) return false; const t = l.innerText; return %s })()`,
		user, strings.Join(conds, " || "))
	return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))
}

// TestSandboxInBrowser plays a whole draw as people would, in headless Chromium: three users
// pay a Stars draw and one a ruble draw (on the stand-in YooKassa page), the admin forces both
// draws from the panel, every user sees the result, the ruble winner withdraws the prize, the
// proof page opens and verifies, and the ledger checks out. A screenshot of the chat is kept in the test's temp dir.
func TestSandboxInBrowser(t *testing.T) {
	ctx := browser(t)
	sb := startSandbox(t)
	xtr, rub := sb.drawOf(t, config.CurrencyXTR), sb.drawOf(t, config.CurrencyRUB)
	const admin, anna, bob, kira, dave = 1000, 1001, 1002, 1003, 1004

	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\nlog:\n%s", what, err, sb.log.String())
		}
	}
	run("open the chat", chromedp.Navigate(sb.base+"/sandbox"), chromedp.WaitVisible(chromedp.ID("user-1004")),
		chromedp.WaitVisible(chromedp.ID("sandbox-banner")))

	for _, u := range []int64{anna, bob, kira} {
		run(fmt.Sprintf("user %d joins the Stars draw", u),
			say(u, fmt.Sprintf("/join_raffle %d", xtr.ID)),
			clickData(u, fmt.Sprintf("pay:xtr:%d", xtr.ID)),
			clickLast(u, "button.pay"),
			waitText(u, "код участника", "entry code"),
		)
	}
	run("Dave opens the ruble payment page",
		say(dave, fmt.Sprintf("/join_raffle %d", rub.ID)),
		clickData(dave, fmt.Sprintf("pay:rub:%d", rub.ID)),
		clickLast(dave, `a[href^="/sandbox/checkout"]`),
		chromedp.WaitVisible(chromedp.ID("checkout-pay")),
	)
	run("Dave pays on YooKassa's page and is back in the chat",
		chromedp.Click(chromedp.ID("checkout-pay")),
		chromedp.WaitVisible(chromedp.ID("user-1004")),
		waitText(dave, "entry code"),
	)

	for _, d := range []raffle.Draw{xtr, rub} {
		waitUntil(t, "ticket", func() bool { return show(t, sb.env, d.ID).TicketID != "" })
		run(fmt.Sprintf("the admin forces draw %d from the panel", d.ID),
			say(admin, "/admin"),
			clickData(admin, "adm:open"),
			clickData(admin, fmt.Sprintf("adm:draw:%d", d.ID)),
			clickData(admin, fmt.Sprintf("adm:ask:force:%d", d.ID)),
			clickData(admin, fmt.Sprintf("adm:do:force:%d", d.ID)),
		)
	}
	for _, d := range []raffle.Draw{xtr, rub} {
		waitUntil(t, "settled", func() bool { return show(t, sb.env, d.ID).Status == raffle.StatusSettled })
	}
	for _, u := range []int64{anna, bob, kira, dave} {
		run(fmt.Sprintf("user %d sees the result", u), waitText(u, "Поздравляем", "Итоги", "Congratulations", "Results"))
	}

	// Dave, who won the ruble draw, withdraws the prize to a YooMoney test wallet.
	run("Dave withdraws his prize",
		say(dave, "/balance"),
		clickData(dave, "wd"),
		clickData(dave, "wd:wallet"),
		waitText(dave, "YooMoney wallet number"),
		say(dave, "4100116075156746"),
		waitText(dave, "A payout of"),
	)

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.TempDir(), "sandbox-chat.png")
	if err := os.WriteFile(path, shot, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the chat: %s", path)

	// The proof: the public page opens with the banner and shows the draw checked; the JSON
	// verifies with the sandbox's keys and not with the real Random.org key.
	run("the proof page", chromedp.Navigate(fmt.Sprintf("%s/raffles/%d", sb.base, xtr.ID)),
		chromedp.WaitVisible(chromedp.ID("sandbox-banner")))
	body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatalf("proof page text: %v", err)
	}
	verified := strings.Contains(body, i18n.T(i18n.RU, "web.proof_server_ok")) || strings.Contains(body, i18n.T(i18n.EN, "web.proof_server_ok"))
	if !strings.Contains(body, xtr.Title) || !verified {
		t.Fatalf("the proof page does not show the verified draw:\n%s", body)
	}
	resp, err := http.Get(fmt.Sprintf("%s/raffles/%d/proof.json", sb.base, xtr.ID))
	if err != nil {
		t.Fatal(err)
	}
	proof, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := fairness.VerifyFile(proof, sb.fakes.Keys()); err != nil {
		t.Fatalf("proof.json does not verify with the sandbox's keys: %v", err)
	}
	if _, err := fairness.VerifyFile(proof, fairness.DefaultKeys()); err == nil {
		t.Fatal("a sandbox proof verifies with the real Random.org key")
	}
	if code, out, errOut := runCmd(t, t.Context(), sb.env, "ledger", "check"); code != 0 {
		t.Fatalf("ledger check after the sandbox draws: %s %s", out, errOut)
	}
	if v := sb.fakes.Telegram.Violations(); len(v) > 0 {
		t.Fatalf("Bot API spec violations: %v", v)
	}
}
