package host

import (
	"context"
	"log/slog"

	"github.com/hookguard/hookguard/internal/abi"
)

// logLevels maps proxy_log levels, abi.LogTrace to abi.LogCritical, to
// slog levels.
var logLevels = [...]slog.Level{slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError, slog.LevelError + 4}

// level clamps a module's log level to the known ones: anything above
// critical is critical.
func level(l abi.LogLevel) abi.LogLevel { return min(l, abi.LogLevel(len(logLevels)-1)) }

// logWanted reports whether a module's line at level l would be kept:
// logged at the logger's level, or captured for a start-up error.
func (v *vm) logWanted(l abi.LogLevel) bool {
	l = level(l)
	return v.capture != nil && l >= abi.LogError || v.logger.Enabled(context.Background(), logLevels[l])
}

// log logs a module's line msg at level l, copying msg only when the line
// is kept: a verified request's debug line is not, at the default level.
// msg may be a view of the module's memory.
func (v *vm) log(l abi.LogLevel, msg []byte) {
	if v.logWanted(l) {
		v.guestLog(l, string(msg))
	}
}

// guestLog logs a module's line: proxy_log, or its stdout and stderr.
// Errors are also captured while the VM starts, for the start-up error.
func (v *vm) guestLog(l abi.LogLevel, msg string) {
	l = level(l)
	if v.capture != nil && l >= abi.LogError {
		*v.capture = append(*v.capture, msg)
	}
	attrs := []slog.Attr{}
	if v.stream != nil {
		attrs = append(attrs, slog.Uint64("context_id", uint64(v.stream.id)))
	}
	v.logger.LogAttrs(context.Background(), logLevels[l], msg, attrs...)
}

// logLevel is the level of the most verbose line the logger keeps, as
// Envoy's proxy_get_log_level answers with its wasm logger's level.
func (v *vm) logLevel() abi.LogLevel {
	for i, l := range logLevels {
		if v.logger.Enabled(context.Background(), l) {
			return abi.LogLevel(i)
		}
	}
	return abi.LogCritical
}
