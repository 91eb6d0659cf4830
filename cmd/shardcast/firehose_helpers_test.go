package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
)

// firehoseClient returns a Firehose client of the AWS SDK pointed at url,
// without retries.
func firehoseClient(url string) *firehose.Client {
	return firehose.New(firehose.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return testCreds, nil }),
		HTTPClient:   sdkHTTPClient(awshttp.NewBuildableClient()),
		Retryer:      aws.NopRetryer{},
	})
}

// objects lists the files under dir (relative, slash-separated), in the
// order they were written (names alone do not tell: two objects of one
// second differ by a random UUID), leaving out temporary files.
func objects(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	mtime := map[string]time.Time{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if fi, err := d.Info(); err == nil {
			mtime[rel] = fi.ModTime()
		}
		out = append(out, rel)
		return nil
	})
	sort.Slice(out, func(i, j int) bool {
		if a, b := mtime[out[i]], mtime[out[j]]; !a.Equal(b) {
			return a.Before(b)
		}
		return out[i] < out[j]
	})
	return out
}

// readObjects returns the concatenated contents of the objects under dir
// (in name order), gunzipping .gz objects.
func readObjects(t testing.TB, dir string, names []string) []byte {
	t.Helper()
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(n, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", n, err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", n, err)
			}
		}
		all = append(all, b...)
	}
	return all
}

// waitObjects waits until the objects under dir hold want bytes in all
// (or more), and returns their names; it fails after a minute, a bound
// far above any delivery here, so that a stuck delivery ends the test.
func waitObjects(t testing.TB, dir string, want int) []string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		names := objects(t, dir)
		if got := len(readObjects(t, dir, names)); got >= want {
			return names
		}
		if time.Now().After(deadline) {
			t.Fatalf("objects under %s: %v, want %d bytes in all", dir, names, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
