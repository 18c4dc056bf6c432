package pgtest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pdp-project/pdp/internal/audit/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func connect(t *testing.T, url string) (*pgx.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err == nil {
		t.Cleanup(func() { conn.Close(context.Background()) })
	}
	return conn, err
}

func TestNewDatabaseIsFreshAndSeparate(t *testing.T) {
	a, b := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	if a == b {
		t.Fatalf("two databases share the URL %s", a)
	}
	ca, err := connect(t, a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Exec(context.Background(), `CREATE TABLE x (n int)`); err != nil {
		t.Fatal(err)
	}
	cb, err := connect(t, b)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = cb.QueryRow(context.Background(), `SELECT count(*) FROM pg_tables WHERE tablename = 'x'`).Scan(&n)
	if err != nil || n != 0 {
		t.Fatalf("second database sees the first's table: n=%d err=%v", n, err)
	}
}

func TestStopAndStartKeepData(t *testing.T) {
	s := pgtest.Start(t, pgtest.Options{})
	db := s.CreateDatabase(t)
	conn, err := connect(t, s.URL(db))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(context.Background(), `CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := connect(t, s.URL(db)); err == nil {
		t.Fatal("connected to a stopped server")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	conn, err = connect(t, s.URLWithoutPassword(db)+"&password="+s.Password())
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT n FROM kept`).Scan(&n); err != nil || n != 7 {
		t.Fatalf("after restart: n=%d err=%v, want 7", n, err)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	url := pgtest.NewDatabase(t)
	bad := url[:len("postgres://postgres:")] + "wrong" + url[len("postgres://postgres:")+24:]
	if _, err := connect(t, bad); err == nil {
		t.Fatalf("connected with a wrong password (%s)", bad)
	}
}
