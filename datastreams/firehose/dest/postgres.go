package dest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/shardcast/shardcast/datastreams/firehose/delivery"
)

// PostgresConfig is a Redshift destination served by PostgreSQL: where to
// connect and the delivery stream's CopyCommand.
type PostgresConfig struct {
	// ConnString is a PostgreSQL connection string (a postgres:// URL or
	// key=value pairs), from shardcast's config for the destination's
	// ClusterJDBCURL.
	ConnString string
	// Username and Password, when set, replace the connection string's
	// (the destination's Username and Password).
	Username string
	Password string
	// Table is CopyCommand.DataTableName ("events", "analytics.events").
	// Unquoted names fold to lower case, as in Redshift and PostgreSQL.
	Table string
	// Columns is CopyCommand.DataTableColumns, a comma list; empty means
	// every column of the table in order.
	Columns string
	// CopyOptions is CopyCommand.CopyOptions in Redshift's COPY syntax
	// ("json 'auto'", "delimiter '|' gzip", "csv ignoreheader 1").
	CopyOptions string
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
}

// ErrCopyOptions is what NewPostgres returns (wrapped) for CopyOptions that
// PostgreSQL cannot honour or that do not parse.
var ErrCopyOptions = errors.New("CopyOptions not supported on PostgreSQL")

// Postgres loads each batch into a PostgreSQL table with one COPY, the way
// Firehose loads a staged S3 object into Redshift.
type Postgres struct {
	connCfg *pgx.ConnConfig
	table   string   // sanitized, possibly schema-qualified
	names   []string // DataTableColumns; nil means the table's columns
	opts    copyOptions
	log     *slog.Logger

	mu   sync.Mutex
	conn *pgx.Conn
}

var _ delivery.Destination = (*Postgres)(nil)

// NewPostgres checks cfg and returns the destination. It does not connect:
// the first Deliver does. Unsupported or malformed CopyOptions are refused
// with an error wrapping ErrCopyOptions that lists them.
func NewPostgres(cfg PostgresConfig) (*Postgres, error) {
	connCfg, err := pgx.ParseConfig(cfg.ConnString)
	if err != nil {
		return nil, fmt.Errorf("redshift destination: connection string: %w", err)
	}
	if cfg.Username != "" {
		connCfg.User = cfg.Username
	}
	if cfg.Password != "" {
		connCfg.Password = cfg.Password
	}
	if connCfg.ConnectTimeout == 0 {
		connCfg.ConnectTimeout = 30 * time.Second
	}
	table, err := parseQualified(cfg.Table)
	if err != nil {
		return nil, fmt.Errorf("redshift destination: DataTableName %q: %w", cfg.Table, err)
	}
	p := &Postgres{connCfg: connCfg, table: pgx.Identifier(table).Sanitize(), log: cfg.Logger}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(cfg.Columns) != "" {
		for _, c := range splitOutsideQuotes(cfg.Columns, ',') {
			name, err := parseQualified(c)
			if err != nil || len(name) != 1 {
				return nil, fmt.Errorf("redshift destination: DataTableColumns %q: bad column %q", cfg.Columns, c)
			}
			p.names = append(p.names, name[0])
		}
	}
	p.opts, err = parseCopyOptions(cfg.CopyOptions)
	if err != nil {
		return nil, fmt.Errorf("redshift destination: %w", err)
	}
	return p, nil
}

// ErrorOutputType is empty: Firehose has no error-output-type for Redshift.
// When the retry duration runs out it skips the batch and writes a manifest
// of the staged objects under "errors/" in the intermediate bucket (see
// Manifest), from which a user can COPY them by hand.
func (p *Postgres) ErrorOutputType() string { return "" }

// Deliver loads b's records, concatenated as Firehose stages them, with one
// COPY: the batch lands whole or not at all. Every failure is a retryable
// *delivery.Error with Firehose's Redshift error code.
func (p *Postgres) Deliver(ctx context.Context, b delivery.Batch) error {
	var staged bytes.Buffer
	for _, r := range b.Records {
		staged.Write(r.Data)
	}
	data, err := p.opts.decompress(staged.Bytes())
	if err != nil {
		return &delivery.Error{Code: "Redshift.DataLoadFailed", Message: "staged data", Err: err}
	}
	data = dropLines(data, p.opts.ignoreHeader)

	p.mu.Lock()
	defer p.mu.Unlock()
	conn, err := p.connect(ctx)
	if err != nil {
		return p.fail(err)
	}
	cols, err := loadColumns(ctx, conn, p.table, p.names)
	if err != nil {
		var de *delivery.Error
		if errors.As(err, &de) {
			return de
		}
		return p.fail(err)
	}
	var rows [][]*string
	switch {
	case p.opts.json:
		rows, err = parseJSON(data, cols, p.opts.ignoreCase)
	case p.opts.csv:
		rows, err = parseCSV(data, p.opts)
	default:
		rows, err = parseText(data, p.opts)
	}
	if err == nil {
		err = p.opts.fit(rows, cols)
	}
	if err != nil {
		return &delivery.Error{Code: "Redshift.DataLoadFailed", Message: "staged data", Err: err}
	}
	idents := make([]string, len(cols))
	for i, c := range cols {
		idents[i] = pgx.Identifier{c.name}.Sanitize()
	}
	sql := "COPY " + p.table + " (" + strings.Join(idents, ", ") + ") FROM STDIN WITH (FORMAT text)"
	tag, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(copyText(rows)), sql)
	if err != nil {
		return p.fail(err)
	}
	p.log.Debug("redshift destination: copied", "table", p.table, "rows", tag.RowsAffected(), "request", b.RequestID)
	return nil
}

// Check connects and looks the table and its columns up, for a clear
// message in DescribeDeliveryStream or the logs before the first batch. A
// failure is a *delivery.Error like Deliver's.
func (p *Postgres) Check(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	conn, err := p.connect(ctx)
	if err != nil {
		return p.fail(err)
	}
	if _, err := loadColumns(ctx, conn, p.table, p.names); err != nil {
		var de *delivery.Error
		if errors.As(err, &de) {
			return de
		}
		return p.fail(err)
	}
	return nil
}

// Close closes the connection.
func (p *Postgres) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close(context.Background())
	p.conn = nil
	return err
}

func (p *Postgres) connect(ctx context.Context) (*pgx.Conn, error) {
	if p.conn != nil && !p.conn.IsClosed() {
		return p.conn, nil
	}
	conn, err := pgx.ConnectConfig(ctx, p.connCfg)
	if err != nil {
		return nil, err
	}
	p.log.Info("redshift destination: connected", "host", p.connCfg.Host, "database", p.connCfg.Database)
	p.conn = conn
	return conn, nil
}

// fail classifies err and drops the connection unless the server answered
// (a server error leaves the session usable).
func (p *Postgres) fail(err error) *delivery.Error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) && p.conn != nil {
		_ = p.conn.Close(context.Background())
		p.conn = nil
	}
	return classifyPg(err, p.names)
}

// classifyPg maps a PostgreSQL error to Firehose's Redshift error codes.
func classifyPg(err error, columns []string) *delivery.Error {
	code := "Redshift.ConnectionFailed"
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "42P01":
			code = "Redshift.TableNotFound"
		case pgErr.Code == "42601":
			code = "Redshift.SyntaxError"
		case pgErr.Code == "28P01" || pgErr.Code == "28000":
			code = "Redshift.AuthenticationFailed"
		case pgErr.Code == "42501":
			code = "Redshift.InsufficientPrivilege"
		case pgErr.Code == "42703":
			code = "Redshift.ColumnNotFound"
		case pgErr.Code == "3D000":
			code = "Redshift.DatabaseNotFound"
		case pgErr.Code == "53100":
			code = "Redshift.DiskFull"
		case pgErr.Code == "25006":
			code = "Redshift.ReadOnlyCluster"
		case pgErr.Code == "23502" && columns != nil && !contains(columns, pgErr.ColumnName):
			code = "Redshift.MissingColumn"
		case strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P"):
			// Connection exceptions, and the server shutting down or
			// terminating the session.
			code = "Redshift.ConnectionFailed"
		default:
			code = "Redshift.DataLoadFailed"
		}
	}
	return &delivery.Error{Code: code, Message: "COPY into PostgreSQL", Err: err}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// dropLines drops the first n lines of data (IGNOREHEADER).
func dropLines(data []byte, n int) []byte {
	for ; n > 0 && len(data) > 0; n-- {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return nil
		}
		data = data[i+1:]
	}
	return data
}
