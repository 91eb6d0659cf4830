package audit

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Results of a call, as Event.Result names them.
const (
	// Allowed is a call that passed authorization and answered success.
	Allowed = "allowed"
	// Denied is a call refused by authentication or authorization.
	Denied = "denied"
	// Failed is a call that was allowed but answered an error.
	Failed = "failed"
)

// MaxField is the most bytes of any one string field that reach a line;
// the rest is cut at a UTF-8 boundary.
const MaxField = 1024

// timeLayout is RFC 3339 with milliseconds, always written in UTC.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Event is one audited call. The JSON names follow CloudTrail's style.
type Event struct {
	Time      time.Time `json:"eventTime"`             // RFC 3339 with milliseconds, UTC
	KeyID     string    `json:"accessKeyId,omitempty"` // "" for anonymous
	Principal string    `json:"principal,omitempty"`   // ARN of who: arn:aws:iam::ACCOUNT:user/KEYID, an assumed-role ARN, "token:NAME" for bearer tokens
	Action    string    `json:"action"`                // IAM action: "kinesis:CreateStream", "kinesisvideo:PutMedia", "shardcast:AdminRotateMasterKey"
	Resource  string    `json:"resource,omitempty"`    // ARN or "*"
	Result    string    `json:"result"`                // "allowed" | "denied" | "failed" (allowed but the call answered an error)
	ErrorCode string    `json:"errorCode,omitempty"`   // the AWS error type when Result is not "allowed"
	Status    int       `json:"status,omitempty"`      // HTTP status (0 for RTSP/other protocols)
	Protocol  string    `json:"protocol"`              // "api", "rtsp", "hls", "whip", "whep", "admin", "sts"
	Source    string    `json:"sourceAddress"`         // remote IP:port
	RequestID string    `json:"requestId,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
}

// appendLine appends e to dst as one JSON object and a newline. The
// fields are written in a fixed order, with the same names and omissions
// as encoding/json would use, so a line unmarshals back into an Event.
// Every string is escaped for JSON (control characters, quotes, invalid
// UTF-8 as U+FFFD, U+2028 and U+2029 too, so the line is safe to embed
// in JavaScript) and cut at MaxField bytes: nothing a request names can
// break the line or make it unbounded.
func appendLine(dst []byte, e *Event) []byte {
	dst = append(dst, `{"eventTime":"`...)
	dst = e.Time.UTC().AppendFormat(dst, timeLayout)
	dst = append(dst, '"')
	dst = appendField(dst, "accessKeyId", e.KeyID, true)
	dst = appendField(dst, "principal", e.Principal, true)
	dst = appendField(dst, "action", e.Action, false)
	dst = appendField(dst, "resource", e.Resource, true)
	dst = appendField(dst, "result", e.Result, false)
	dst = appendField(dst, "errorCode", e.ErrorCode, true)
	if e.Status != 0 {
		dst = append(dst, `,"status":`...)
		dst = strconv.AppendInt(dst, int64(e.Status), 10)
	}
	dst = appendField(dst, "protocol", e.Protocol, false)
	dst = appendField(dst, "sourceAddress", e.Source, false)
	dst = appendField(dst, "requestId", e.RequestID, true)
	dst = appendField(dst, "userAgent", e.UserAgent, true)
	return append(dst, "}\n"...)
}

// appendField appends ,"name":"value", or nothing for an empty value
// when omitEmpty.
func appendField(dst []byte, name, value string, omitEmpty bool) []byte {
	if value == "" && omitEmpty {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	return appendString(dst, capBytes(value, MaxField))
}

// capBytes cuts s to at most n bytes without splitting a UTF-8 sequence
// (an invalid byte counts as one).
func capBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > n-utf8.UTFMax && cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a quoted JSON string.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != 0x7f {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// partitionKey is the Kinesis partition key a line is appended under:
// who made the call, so that one principal's lines stay in order on one
// shard.
func partitionKey(e *Event) string {
	k := e.Principal
	if k == "" {
		k = e.KeyID
	}
	if k == "" {
		k = "anonymous"
	}
	return capBytes(strings.ToValidUTF8(k, "?"), 256)
}
