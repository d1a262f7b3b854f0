package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/telegram"
)

// ledgerReconcile compares the ledger's Telegram-side Stars movements with getStarTransactions
// (design.md §7): exit 0 when they agree, 1 listing each difference. Telegram transactions
// fairdraw did not make are listed apart and do not fail it.
func (e *env) ledgerReconcile(ctx context.Context, args []string) error {
	if err := parseFlags(e.flags("ledger reconcile"), args); err != nil {
		return err
	}
	if err := e.cfg.RequireDatabase(); err != nil {
		return err
	}
	if e.cfg.BotToken == "" {
		return errors.New("BOT_TOKEN: required by ledger reconcile (the bot's Star transactions are read with it)")
	}
	api, err := telegram.NewBot(e.cfg.BotToken, e.cfg.TelegramAPIURL, &http.Client{}, e.logger)
	if err != nil {
		return err
	}
	pool, err := e.openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := prize.Reconcile(ctx, pool, api)
	if err != nil {
		return err
	}
	for _, f := range rep.Foreign {
		fmt.Fprintf(e.stdout, "not fairdraw's: %s\n", f)
	}
	for _, f := range rep.InFlight {
		fmt.Fprintf(e.stdout, "being settled: %s\n", f)
	}
	if !rep.OK() {
		fmt.Fprintf(e.stderr, "ledger reconcile: %d difference(s), %d movement(s) agree:\n", len(rep.Mismatches), rep.Matched)
		for _, m := range rep.Mismatches {
			fmt.Fprintf(e.stderr, "  %s\n", m)
		}
		return errFailed
	}
	fmt.Fprintf(e.stdout, "ledger reconcile: ok, %d movement(s) agree with Telegram\n", rep.Matched)
	return nil
}
