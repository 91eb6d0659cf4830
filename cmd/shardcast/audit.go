package main

// The audit log: what the one check decided about each call, written by
// web/audit, optionally appended to a data stream of this server.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/shardcast/shardcast/datastreams"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/web/audit"
	"github.com/shardcast/shardcast/web/awsapi"
)

// openAudit opens the audit log the configuration asks for (by default
// <data-dir>/audit/audit.log, none with memory storage; "off": none).
func (s *server) openAudit() error {
	c := s.cfg.Audit
	path := c.Path
	switch path {
	case "off":
		if c.Stream == "" {
			return nil
		}
		path = ""
	case "":
		path = filepath.Join(s.cfg.DataDir, "audit", "audit.log")
		if s.cfg.Storage == "memory" {
			// Memory storage writes no files; an audit.path given keeps one.
			path = ""
			if c.Stream == "" {
				s.log.Info("audit: memory storage keeps no audit log file; set audit.path (or audit.stream) for one")
				return nil
			}
		}
	}
	var sink audit.Sink
	if c.Stream != "" {
		err := s.engine.CreateStream(datastreams.CreateStreamInput{Name: c.Stream, ShardCount: 1})
		switch {
		case err == nil:
			s.log.Info("audit: created the data stream the audit log is appended to", "stream", c.Stream)
		case !errors.Is(err, registry.ErrResourceInUse):
			return fmt.Errorf("audit stream %s: %w", c.Stream, err)
		}
		sink = auditSink{engine: s.engine, stream: c.Stream}
	}
	l, err := audit.Open(audit.Config{Path: path, MaxBytes: c.MaxBytes, Keep: c.Keep, Sink: sink, Logger: s.log})
	if err != nil {
		return fmt.Errorf("audit log: %w", err)
	}
	s.audit = l
	return nil
}

// auditSink appends audit lines to a data stream, past the API (an
// append is not itself a call to audit).
type auditSink struct {
	engine *datastreams.Engine
	stream string
}

func (a auditSink) Append(ctx context.Context, partitionKey string, data []byte) error {
	_, _, err := a.engine.PutRecord(ctx, datastreams.StreamRef{Name: a.stream}, datastreams.PutEntry{PartitionKey: partitionKey, Data: data}, "")
	return err
}

// auditHTTP records an answered HTTP request when the log keeps calls of
// its kind (web.Config.Audit).
func (s *server) auditHTTP(r *http.Request, c *awsapi.Call, status int, errorType string) {
	result := audit.Allowed
	switch {
	case c.Denied:
		result = audit.Denied
	case status >= 400:
		result = audit.Failed
	}
	if s.audit == nil || !audit.Audited(c.Action, result) {
		return
	}
	e := audit.Event{Action: c.Action, Resource: c.Resource, Result: result, Status: status, Protocol: c.Protocol,
		Source: r.RemoteAddr, RequestID: awsapi.RequestID(r), UserAgent: r.UserAgent()}
	if result != audit.Allowed {
		e.ErrorCode = errorType
	}
	if id := c.Identity; id != nil {
		e.KeyID, e.Principal = id.KeyID, id.ARN
	}
	s.audit.Record(e)
}

// auditRTSP records an RTSP request the guard refused.
func (s *server) auditRTSP(who, action, resource, remote string) {
	if s.audit == nil {
		return
	}
	e := audit.Event{KeyID: who, Action: action, Resource: s.auth.NameARN(action, resource), Result: audit.Denied, Protocol: "rtsp", Source: remote}
	s.audit.Record(e)
}
