package main

import (
	"context"
	"fmt"

	"github.com/fairdraw/fairdraw/internal/ledger"
)

func (e *env) ledger(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "reconcile" {
		return e.ledgerReconcile(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "check" {
		return fmt.Errorf("%w: ledger takes one subcommand: check or reconcile", errUsage)
	}
	if err := parseFlags(e.flags("ledger check"), args[1:]); err != nil {
		return err
	}
	pool, err := e.openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	problems, err := ledger.Check(ctx, pool)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "ledger check: %d problem(s):\n", len(problems))
		for _, p := range problems {
			fmt.Fprintf(e.stderr, "  %s\n", p)
		}
		return errFailed
	}
	fmt.Fprintln(e.stdout, "ledger check: ok")
	return nil
}
