package webrtc

import (
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// loggerFactory sends pion's logs to slog. pion is chatty: its info and
// warnings go out at debug level, its errors as warnings.
type loggerFactory struct{ log *slog.Logger }

func (f *loggerFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("pion", scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) Trace(string)                     {}
func (l pionLogger) Tracef(string, ...any)            {}
func (l pionLogger) Debug(string)                     {}
func (l pionLogger) Debugf(string, ...any)            {}
func (l pionLogger) Info(msg string)                  { l.log.Debug(msg) }
func (l pionLogger) Infof(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }
func (l pionLogger) Warn(msg string)                  { l.log.Debug(msg) }
func (l pionLogger) Warnf(format string, args ...any) { l.log.Debug(fmt.Sprintf(format, args...)) }
func (l pionLogger) Error(msg string)                 { l.log.Warn(msg) }
func (l pionLogger) Errorf(format string, args ...any) {
	l.log.Warn(fmt.Sprintf(format, args...))
}
