package awsapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Clients that send a request over HTTP/2 have no Host header: the AWS SDK
// for JavaScript v3 signs the :authority pseudo-header in its place, and
// AWS accepts that. The SDK for Go's signer always signs "host", so such a
// signature is verified here, by building the canonical request of the
// SigV4 specification from the headers the client says it signed.

// signsAuthority reports whether a signature covers :authority.
func (s sigV4) signsAuthority() bool { return slices.Contains(s.signedHeaders, ":authority") }

// signatureWithAuthority computes the signature of r as a client that
// signed :authority computes it.
func signatureWithAuthority(r *http.Request, sig sigV4, secret, payloadHash string, when time.Time) string {
	var canon strings.Builder
	canon.WriteString(r.Method + "\n")
	canon.WriteString(sigv4Path(r.URL.EscapedPath()) + "\n")
	canon.WriteString(sigv4Query(r.URL.Query()) + "\n")
	for _, name := range sig.signedHeaders {
		var value string
		switch name {
		case ":authority", "host":
			value = r.Host
		case "content-length":
			value = strconv.FormatInt(max(r.ContentLength, 0), 10)
		case "transfer-encoding":
			// net/http moves it out of the header map.
			value = strings.Join(r.TransferEncoding, ",")
			if v := r.Header.Values(name); len(v) > 0 {
				value = strings.Join(v, ",")
			}
		default:
			vals := r.Header.Values(name)
			for i, v := range vals {
				vals[i] = strings.Join(strings.Fields(v), " ")
			}
			value = strings.Join(vals, ",")
		}
		canon.WriteString(name + ":" + value + "\n")
	}
	canon.WriteString("\n" + strings.Join(sig.signedHeaders, ";") + "\n" + payloadHash)
	sum := sha256.Sum256([]byte(canon.String()))
	scope := sig.date + "/" + sig.region + "/" + sig.service + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + when.UTC().Format("20060102T150405Z") + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + secret)
	for _, part := range []string{sig.date, sig.region, sig.service, "aws4_request", toSign} {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(part))
		key = m.Sum(nil)
	}
	return hex.EncodeToString(key)
}

// checkWithAuthority verifies a signature that covers :authority.
func checkWithAuthority(r *http.Request, sig sigV4, secret, payloadHash string, when time.Time) error {
	want := signatureWithAuthority(r, sig, secret, payloadHash, when)
	if subtle.ConstantTimeCompare([]byte(want), []byte(sig.signature)) != 1 {
		return errSignature
	}
	return nil
}

// sigv4Path is the canonical URI of an escaped path, for services other
// than S3: the path as sent, escaped once more.
func sigv4Path(p string) string {
	if p == "" {
		return "/"
	}
	return sigv4Escape(p, true)
}

// sigv4Query is the canonical query string: names and values escaped,
// sorted by name, then value.
func sigv4Query(q url.Values) string {
	var pairs [][2]string
	for k, vs := range q {
		for _, v := range vs {
			pairs = append(pairs, [2]string{sigv4Escape(k, false), sigv4Escape(v, false)})
		}
	}
	slices.SortFunc(pairs, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p[0] + "=" + p[1]
	}
	return strings.Join(out, "&")
}

// sigv4Escape percent-encodes every byte but the unreserved ones (and '/'
// when keepSlash), upper-case hex, as SigV4 asks.
func sigv4Escape(s string, keepSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~',
			keepSlash && c == '/':
			b.WriteByte(c)
		default:
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}
