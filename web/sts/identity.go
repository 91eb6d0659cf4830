package sts

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"fmt"
)

// newAccessKeyID returns "ASIA" and 16 random characters of [A-Z2-7].
func newAccessKeyID() (string, error) {
	var b [10]byte // 80 bits: 16 base32 characters
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("sts: access key id: %w", err)
	}
	return "ASIA" + base32.StdEncoding.EncodeToString(b[:]), nil
}

// newSecretAccessKey returns 40 random characters of [A-Za-z0-9+/].
func newSecretAccessKey() (string, error) {
	var b [30]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("sts: secret access key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b[:]), nil
}

// uniqueID derives a stable IAM-style unique id (a 4-letter prefix and 17
// characters of [A-Z2-7]) from what it names, the way IAM gives each user
// ("AIDA") and role ("AROA") one.
func uniqueID(prefix, account, name string) string {
	sum := sha256.Sum256([]byte(prefix + "\x00" + account + "\x00" + name))
	return prefix + base32.StdEncoding.EncodeToString(sum[:15])[:17]
}

func roleID(account, role string) string { return uniqueID("AROA", account, role) }

func userID(account, keyID string) string { return uniqueID("AIDA", account, keyID) }

func roleARN(account, role string) string { return "arn:aws:iam::" + account + ":role/" + role }

func assumedRoleARN(account, role, session string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + session
}
