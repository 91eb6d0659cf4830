package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// The server answers queries on the DSN Start returns.
func TestStart(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, Start(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "select 40 + 2").Scan(&n); err != nil || n != 42 {
		t.Fatalf("select: %d %v", n, err)
	}
}
