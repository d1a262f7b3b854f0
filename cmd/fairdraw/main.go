// Command fairdraw runs the fairdraw Telegram bot and its operator tools. See the README.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
