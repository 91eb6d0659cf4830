package pgtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shardcast/shardcast/datastreams/firehose/internal/testproc"
)

// Password is the superuser's password in every server Start runs.
const Password = "shardcast-test"

// Server is a running PostgreSQL.
type Server struct {
	// DSN connects as the superuser "postgres" to the database "postgres".
	DSN  string
	Host string
	Port int
}

// Start starts a PostgreSQL server for the test and returns its connection
// string. The server stops when the test ends.
func Start(t testing.TB) string {
	t.Helper()
	return StartServer(t).DSN
}

// StartServer is Start returning the server's address too.
func StartServer(t testing.TB) Server {
	t.Helper()
	bin := binDir(t)
	cred := credential(t)

	// t.TempDir's parent is private to this user; the postgres user needs
	// to reach the directory, so it gets its own.
	root, err := os.MkdirTemp("", "shardcast-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(root, "data")
	pwfile := filepath.Join(root, "pwfile")
	if err := os.WriteFile(pwfile, []byte(Password+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		if err := os.Chown(root, int(cred.Uid), int(cred.Gid)); err != nil {
			t.Fatal(err)
		}
	}

	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres",
		"--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
		"--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}

	port := testproc.FreePort(t)
	logPath := filepath.Join(root, "postgres.log")
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-p", strconv.Itoa(port), "-k", root, "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off")
	srv.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	// SIGINT is PostgreSQL's fast shutdown (open transactions roll back);
	// SIGQUIT its immediate one, for a test binary that dies.
	exited := testproc.Start(t, srv, logPath, syscall.SIGINT, syscall.SIGQUIT)

	s := Server{
		DSN:  fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", Password, port),
		Host: "127.0.0.1",
		Port: port,
	}
	waitReady(t, s.DSN, exited, logPath)
	return s
}

// waitReady connects until the server answers, or fails the test when the
// server exits (or has not come up after a minute).
func waitReady(t testing.TB, dsn string, exited <-chan error, logPath string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_ = conn.Close(ctx)
			cancel()
			return
		}
		cancel()
		select {
		case werr := <-exited:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("postgres exited: %v\n%s", werr, out)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(logPath)
			t.Fatalf("postgres did not accept connections: %v\n%s", err, out)
		}
	}
}

// binDir finds PostgreSQL's server programs: Debian keeps them under
// /usr/lib/postgresql/<major>/bin (the newest major wins); elsewhere initdb
// is on PATH.
func binDir(t testing.TB) string {
	t.Helper()
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(found, func(i, j int) bool { return major(found[i]) > major(found[j]) })
	if len(found) > 0 {
		return filepath.Dir(found[0])
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	t.Fatal("PostgreSQL is not installed: run make deps (apt-get install postgresql)")
	return ""
}

func major(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// credential returns the postgres user's ids when running as root (the
// server refuses root), nil otherwise.
func credential(t testing.TB) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("running as root and there is no postgres user to run PostgreSQL as (make deps installs postgresql, which creates it): %v", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}
