package awsapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"
)

// The one check authorizes an API call on the resource its input names.
// It finds that name without decoding the input (the handler decodes it
// once, after): a scan of the body's top-level members, in JSON or CBOR,
// that skips the rest (a PutRecords body is mostly its records).

// resourceMembers are the input members that name a call's resource, the
// most specific first: an ARN given is used as it is, a name is made into
// its service's ARN.
var resourceMembers = [...]string{
	"ConsumerARN", "ResourceARN", "StreamARN", "DeliveryStreamARN", "ApplicationARN", "TableArn", "ChannelARN",
	"StreamName", "DeliveryStreamName", "ApplicationName", "TableName", "ChannelName",
}

// inputNames returns the resource-naming members of body (JSON or CBOR,
// after codec) that are strings, by index in resourceMembers.
func inputNames(body []byte, cbor bool) (names [len(resourceMembers)]string) {
	visit := func(key, val []byte) {
		for i, m := range resourceMembers {
			if string(key) == m {
				names[i] = string(val)
			}
		}
	}
	if cbor {
		cborTopStrings(body, visit)
	} else {
		jsonTopStrings(body, visit)
	}
	return names
}

// resourceOf is the ARN an API call acts on, "*" when its input names none.
func (a *Auth) resourceOf(action string, r *http.Request, body []byte) string {
	if c := CallOf(r); c.Protocol == "admin" && c.Resource != "" {
		return c.Resource // named by the route (AdminAction)
	}
	var names [len(resourceMembers)]string
	if r.URL.Path == "/putMedia" {
		// A streamed body: the stream is named in headers.
		names[2], names[7] = r.Header.Get("X-Amzn-Stream-Arn"), r.Header.Get("X-Amzn-Stream-Name")
	} else {
		names = inputNames(body, CodecOf(r) == CodecCBOR)
	}
	for i, v := range names {
		if v == "" {
			continue
		}
		if strings.HasPrefix(resourceMembers[i], "Channel") && strings.HasSuffix(resourceMembers[i], "Name") {
			return a.arn("kinesisvideo", "channel/"+v+"/0")
		}
		if strings.HasSuffix(resourceMembers[i], "ARN") || strings.HasSuffix(resourceMembers[i], "Arn") {
			return v
		}
		if resourceMembers[i] == "TableName" && strings.HasPrefix(v, "arn:") {
			return v // DynamoDB takes a table's ARN for its name
		}
		return a.NameARN(action, v)
	}
	return "*"
}

// NameARN is the ARN of the resource named name in action's service: a
// data stream, a delivery stream, a video stream (with its creation time
// when it exists, as KVS's ARNs carry one; 0 when it does not yet), an
// analytics application or a table.
func (a *Auth) NameARN(action, name string) string {
	svc, _, _ := strings.Cut(action, ":")
	switch strings.ToLower(svc) {
	case "firehose":
		return a.arn("firehose", "deliverystream/"+name)
	case "kinesisvideo":
		if a.VideoARN != nil {
			if arn, ok := a.VideoARN(name); ok {
				return arn
			}
		}
		return a.arn("kinesisvideo", "stream/"+name+"/0")
	case "kinesisanalytics":
		return a.arn("kinesisanalytics", "application/"+name)
	case "dynamodb":
		return a.arn("dynamodb", "table/"+name)
	}
	return a.arn("kinesis", "stream/"+name)
}

func (a *Auth) arn(service, resource string) string {
	region, account := a.Region, a.Account
	if region == "" {
		region = "us-east-1"
	}
	if account == "" {
		account = "000000000000"
	}
	return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
}

// jsonTopStrings calls visit with the key and the decoded value of each
// top-level member of a JSON object whose value is a string. It stops at
// the first thing that is not JSON (the handler's decoder says what).
func jsonTopStrings(b []byte, visit func(key, val []byte)) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return
		}
		ks, ke, ok := jsonString(b, i)
		if !ok {
			return
		}
		i = skipSpace(b, ke)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return
		}
		if b[i] == '"' {
			vs, ve, ok := jsonString(b, i)
			if !ok {
				return
			}
			if key, ok := unquote(b[ks:ke]); ok {
				if val, ok := unquote(b[vs:ve]); ok {
					visit(key, val)
				}
			}
			i = ve
		} else if i, ok = skipJSONValue(b, i); !ok {
			return
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonString returns the bounds of the string literal at b[i] (its
// quotes included).
func jsonString(b []byte, i int) (start, end int, ok bool) {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, 0, false
		}
		j += k
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		j++
		if n%2 == 0 {
			return i, j, true
		}
	}
}

// unquote decodes a JSON string literal as encoding/json does (invalid
// UTF-8 becomes U+FFFD); the common one without escapes is its inner
// bytes.
func unquote(lit []byte) ([]byte, bool) {
	if bytes.IndexByte(lit, '\\') < 0 && utf8.Valid(lit) {
		return lit[1 : len(lit)-1], true
	}
	var s string
	if json.Unmarshal(lit, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

// skipJSONValue returns the index after the value at b[i] (not a string):
// a number, literal, object or array, whose nesting it follows without
// checking more than brackets and strings.
func skipJSONValue(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch c := b[i]; c {
		case '"':
			_, e, ok := jsonString(b, i)
			if !ok {
				return 0, false
			}
			i = e
			if depth == 0 {
				return i, true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, true
			}
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i, true
			}
		}
		i++
	}
	return i, depth == 0
}

// cborTopStrings is jsonTopStrings for a CBOR map with text keys.
func cborTopStrings(b []byte, visit func(key, val []byte)) {
	if len(b) == 0 || b[0]>>5 != 5 {
		return
	}
	n, i, indef, ok := cborHead(b, 0)
	if !ok {
		return
	}
	for k := uint64(0); indef || k < n; k++ {
		if i >= len(b) {
			return
		}
		if indef && b[i] == 0xff {
			return
		}
		key, _, kok := cborText(b, i)
		var next int
		if next, ok = cborSkip(b, i, 0); !ok {
			return
		}
		i = next
		if i >= len(b) {
			return
		}
		val, _, vok := cborText(b, i)
		if next, ok = cborSkip(b, i, 0); !ok {
			return
		}
		if kok && vok {
			visit(key, val)
		}
		i = next
	}
}

// cborHead reads the head of the item at b[i]: its argument (a length or
// value), where its content starts, and whether its length is
// indefinite.
func cborHead(b []byte, i int) (arg uint64, next int, indef, ok bool) {
	if i >= len(b) {
		return 0, 0, false, false
	}
	info := b[i] & 0x1f
	i++
	switch {
	case info < 24:
		return uint64(info), i, false, true
	case info == 24 && i+1 <= len(b):
		return uint64(b[i]), i + 1, false, true
	case info == 25 && i+2 <= len(b):
		return uint64(binary.BigEndian.Uint16(b[i:])), i + 2, false, true
	case info == 26 && i+4 <= len(b):
		return uint64(binary.BigEndian.Uint32(b[i:])), i + 4, false, true
	case info == 27 && i+8 <= len(b):
		return binary.BigEndian.Uint64(b[i:]), i + 8, false, true
	case info == 31:
		return 0, i, true, true
	}
	return 0, 0, false, false
}

// cborText returns the text string at b[i] when it is a definite one.
func cborText(b []byte, i int) ([]byte, int, bool) {
	if i >= len(b) || b[i]>>5 != 3 {
		return nil, 0, false
	}
	n, s, indef, ok := cborHead(b, i)
	if !ok || indef || n > uint64(len(b)-s) {
		return nil, 0, false
	}
	return b[s : s+int(n)], s + int(n), true
}

// cborSkip returns the index after the item at b[i].
func cborSkip(b []byte, i, depth int) (int, bool) {
	if depth > 64 || i >= len(b) {
		return 0, false
	}
	major := b[i] >> 5
	arg, next, indef, ok := cborHead(b, i)
	if !ok {
		return 0, false
	}
	rest := uint64(len(b) - next)
	switch major {
	case 0, 1:
		return next, !indef
	case 2, 3:
		if !indef {
			if arg > rest {
				return 0, false
			}
			return next + int(arg), true
		}
		for next < len(b) && b[next] != 0xff {
			if b[next]>>5 != major {
				return 0, false
			}
			if next, ok = cborSkip(b, next, depth+1); !ok {
				return 0, false
			}
		}
		return next + 1, next < len(b)
	case 4, 5:
		items := arg
		if major == 5 {
			if items > rest {
				return 0, false
			}
			items *= 2
		}
		if !indef && items > rest {
			return 0, false // every item takes a byte at least
		}
		for k := uint64(0); indef || k < items; k++ {
			if next >= len(b) {
				return 0, false
			}
			if indef && b[next] == 0xff {
				return next + 1, true
			}
			if next, ok = cborSkip(b, next, depth+1); !ok {
				return 0, false
			}
		}
		return next, true
	case 6:
		if indef {
			return 0, false
		}
		return cborSkip(b, next, depth+1)
	default: // 7: simple values and floats
		return next, !indef
	}
}
