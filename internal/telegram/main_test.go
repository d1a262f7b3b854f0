package telegram_test

import (
	"testing"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
)

// TestMain drops the shared test database and checks for leaked goroutines (dbtest.Main).
func TestMain(m *testing.M) { dbtest.Main(m) }
