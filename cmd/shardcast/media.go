package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia"
	kmtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideomedia/types"

	"github.com/shardcast/shardcast/playback/getmedia"
)

const mediaUsage = `usage: shardcast media get --stream NAME|--arn ARN [--start NOW|EARLIEST|TIME|fragment:NUMBER|token:TOKEN]
                          [--end TIME] [--duration D] [--selector producer|server] -o FILE.mp4|-

Reads a video stream with GetMedia (from shardcast or from AWS) and writes it as
one fragmented MP4. TIME is RFC 3339 (2026-12-01T10:00:00Z). fragment:NUMBER
starts after that fragment, token:TOKEN where a continuation token points.
With NOW and neither --end nor --duration it runs until interrupted (Ctrl-C
finishes the file cleanly). A --start/--end time range that is over is read with
ListFragments and GetMediaForFragmentList (GetMedia is paced at 5 fragments/s
behind the live edge); anything else with one GetMedia, up to the first fragment
past --end. When the stream's tracks change (a camera came back
with another codec or layout), FILE.mp4 is followed by FILE-2.mp4, FILE-3.mp4...
(on standard output it stops there with an error). A change of resolution stays
in one file (the new parameter sets go in-band).
Credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (none:
unsigned requests). Every flag also reads SHARDCAST_<NAME>, e.g. SHARDCAST_ENDPOINT.
`

// runMedia is `shardcast media ...`: a client of a running server (or of
// AWS), not a server.
func runMedia(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "get" {
		fmt.Fprint(stderr, mediaUsage)
		return 2
	}
	opts, err := parseMediaGet(args[1:], getenv, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "shardcast media get:", err)
		return 2
	}
	stats, err := mediaGet(ctx, opts, stdout)
	fmt.Fprintf(stderr, "shardcast media get: %d fragments, %d frames, %d bytes in %d file(s)", stats.Fragments, stats.Frames, stats.Bytes, stats.Files)
	if stats.Errors > 0 {
		fmt.Fprintf(stderr, ", %d fragments reported with errors", stats.Errors)
	}
	fmt.Fprintln(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "shardcast media get:", err)
		return 1
	}
	return 0
}

type mediaGetOptions struct {
	endpoint, region  string
	stream, arn       string
	selector          kmtypes.StartSelector
	end               time.Time // zero: none
	duration          time.Duration
	producer          bool // --selector producer: --start and --end are producer times
	output            string
	key, secret, sess string
}

func parseMediaGet(args []string, getenv func(string) string, stderr io.Writer) (mediaGetOptions, error) {
	var o mediaGetOptions
	fs := flag.NewFlagSet("shardcast media get", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, mediaUsage); fs.PrintDefaults() }
	defEndpoint := "http://127.0.0.1" + defaultHTTP
	if h := getenv("SHARDCAST_HTTP"); h != "" {
		if strings.HasPrefix(h, ":") {
			h = "127.0.0.1" + h
		}
		defEndpoint = "http://" + h
	}
	endpoint := fs.String("endpoint", defEndpoint, "the server's URL (the KVS control plane: GetDataEndpoint is asked where GetMedia is)")
	region := fs.String("region", defaultRegion, "region to sign requests for")
	stream := fs.String("stream", "", "stream name")
	arn := fs.String("arn", "", "stream ARN (instead of --stream)")
	start := fs.String("start", "NOW", "NOW, EARLIEST, an RFC 3339 time, fragment:NUMBER (after it) or token:TOKEN")
	end := fs.String("end", "", "stop at the first fragment that starts after this RFC 3339 time")
	duration := fs.Duration("duration", 0, "stop after this long (0: no limit)")
	selector := fs.String("selector", "producer", "which timestamps --start and --end are: producer or server")
	output := fs.String("o", "", "output file, - for standard output")
	if err := parseSubcommand(fs, args, getenv, "SHARDCAST_"); err != nil {
		return o, err
	}
	o.endpoint, o.region, o.stream, o.arn, o.duration, o.output = strings.TrimRight(*endpoint, "/"), *region, *stream, *arn, *duration, *output
	o.key, o.secret, o.sess = getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")
	if (o.stream == "") == (o.arn == "") {
		return o, errors.New("give one of --stream and --arn")
	}
	if o.output == "" {
		return o, errors.New("-o FILE.mp4 (or - for standard output) is required")
	}
	if o.duration < 0 {
		return o, errors.New("--duration must not be negative")
	}
	switch *selector {
	case "producer":
		o.producer = true
	case "server":
	default:
		return o, fmt.Errorf("--selector %q: producer or server", *selector)
	}
	s := *start
	switch {
	case s == "NOW" || s == "EARLIEST":
		o.selector.StartSelectorType = kmtypes.StartSelectorType(s)
	case strings.HasPrefix(s, "fragment:"):
		o.selector.StartSelectorType = kmtypes.StartSelectorTypeFragmentNumber
		o.selector.AfterFragmentNumber = aws.String(strings.TrimPrefix(s, "fragment:"))
	case strings.HasPrefix(s, "token:"):
		o.selector.StartSelectorType = kmtypes.StartSelectorTypeContinuationToken
		o.selector.ContinuationToken = aws.String(strings.TrimPrefix(s, "token:"))
	default:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return o, fmt.Errorf("--start %q: NOW, EARLIEST, an RFC 3339 time, fragment:NUMBER or token:TOKEN", s)
		}
		o.selector.StartSelectorType = kmtypes.StartSelectorTypeServerTimestamp
		if o.producer {
			o.selector.StartSelectorType = kmtypes.StartSelectorTypeProducerTimestamp
		}
		o.selector.StartTimestamp = &t
	}
	if *end != "" {
		t, err := time.Parse(time.RFC3339Nano, *end)
		if err != nil {
			return o, fmt.Errorf("--end %q is not an RFC 3339 time", *end)
		}
		if o.selector.StartTimestamp != nil && !t.After(*o.selector.StartTimestamp) {
			return o, errors.New("--end must be after --start")
		}
		o.end = t
	}
	return o, nil
}

// mediaGet reads the stream into the output. A range that is over
// (--start and --end times, --end in the past) is listed with
// ListFragments and read with GetMediaForFragmentList: KVS paces GetMedia
// at 5 fragments a second for a reader behind the live edge, so an hour of
// 2-second fragments would take 6 minutes, while GetMediaForFragmentList
// is not paced. Everything else (NOW, EARLIEST, a range reaching into the
// future) is one GetMedia connection from the start selector, stopped at
// the first fragment past --end.
func mediaGet(ctx context.Context, o mediaGetOptions, stdout io.Writer) (getmedia.Stats, error) {
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if o.key != "" {
		c := aws.Credentials{AccessKeyID: o.key, SecretAccessKey: o.secret, SessionToken: o.sess}
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
	}
	var name, arn *string
	if o.stream != "" {
		name = aws.String(o.stream)
	} else {
		arn = aws.String(o.arn)
	}
	control := kinesisvideo.New(kinesisvideo.Options{Region: o.region, BaseEndpoint: aws.String(o.endpoint), Credentials: creds})
	endpoint := func(api kvtypes.APIName) (*string, error) {
		ep, err := control.GetDataEndpoint(ctx, &kinesisvideo.GetDataEndpointInput{StreamName: name, StreamARN: arn, APIName: api})
		if err != nil {
			return nil, fmt.Errorf("GetDataEndpoint: %w", err)
		}
		return ep.DataEndpoint, nil
	}
	// bodies returns the next GetMedia body to read, or nil when done.
	var bodies func() (io.ReadCloser, error)
	if start := o.selector.StartTimestamp; start != nil && !o.end.IsZero() && o.end.Before(time.Now()) {
		ep, err := endpoint(kvtypes.APINameListFragments)
		if err != nil {
			return getmedia.Stats{}, err
		}
		archived := kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: o.region, BaseEndpoint: ep, Credentials: creds})
		numbers, err := listRange(ctx, archived, name, arn, o.producer, *start, o.end)
		if err != nil {
			return getmedia.Stats{}, err
		}
		if ep, err = endpoint(kvtypes.APINameGetMediaForFragmentList); err != nil {
			return getmedia.Stats{}, err
		}
		archived = kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: o.region, BaseEndpoint: ep, Credentials: creds})
		bodies = func() (io.ReadCloser, error) {
			if len(numbers) == 0 {
				return nil, nil
			}
			batch := numbers[:min(len(numbers), 1000)]
			numbers = numbers[len(batch):]
			out, err := archived.GetMediaForFragmentList(ctx, &kinesisvideoarchivedmedia.GetMediaForFragmentListInput{
				StreamName: name, StreamARN: arn, Fragments: batch})
			if err != nil {
				return nil, fmt.Errorf("GetMediaForFragmentList: %w", err)
			}
			return out.Payload, nil
		}
	} else {
		ep, err := endpoint(kvtypes.APINameGetMedia)
		if err != nil {
			return getmedia.Stats{}, err
		}
		client := kinesisvideomedia.New(kinesisvideomedia.Options{Region: o.region, BaseEndpoint: ep, Credentials: creds})
		done := false
		bodies = func() (io.ReadCloser, error) {
			if done {
				return nil, nil
			}
			done = true
			out, err := client.GetMedia(ctx, &kinesisvideomedia.GetMediaInput{StreamName: name, StreamARN: arn, StartSelector: &o.selector})
			if err != nil {
				return nil, fmt.Errorf("GetMedia: %w", err)
			}
			return out.Payload, nil
		}
	}

	var w io.Writer = stdout
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	create := func(n int) (io.Writer, error) {
		path := o.output
		if n > 1 {
			ext := filepath.Ext(path)
			path = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(path, ext), n, ext)
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		return f, nil
	}
	var mo getmedia.MP4Options
	if o.output != "-" {
		var err error
		if w, err = create(1); err != nil {
			return getmedia.Stats{}, err
		}
		mo.NewFile = func() (io.Writer, error) { return create(len(files) + 1) }
	}
	m := getmedia.NewMP4Writer(w, mo)
	errs := 0
	readErr := func() error {
		for {
			body, err := bodies()
			if err != nil || body == nil {
				return err
			}
			past, err := copyFragments(ctx, m, body, o, &errs)
			body.Close()
			if err != nil || past {
				return err
			}
		}
	}()
	err := m.Close()
	stats := m.Stats()
	stats.Errors = errs
	for _, f := range files {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	files = nil
	if readErr != nil {
		return stats, readErr
	}
	return stats, err
}

// copyFragments writes a body's fragments; past reports the first
// fragment after --end.
func copyFragments(ctx context.Context, m *getmedia.MP4Writer, body io.Reader, o mediaGetOptions, errs *int) (past bool, err error) {
	r := getmedia.NewReader(body)
	for {
		f, err := r.Next()
		var kvsErr *getmedia.Error
		if errors.As(err, &kvsErr) {
			*errs++
			continue
		}
		if err != nil {
			if err == io.EOF || ctx.Err() != nil {
				return false, nil
			}
			return false, err
		}
		if !o.end.IsZero() {
			at := f.ServerTimestamp
			if o.producer {
				at = f.ProducerTimestamp
			}
			if at.After(o.end) {
				return true, nil
			}
		}
		if err := m.Write(f); err != nil {
			return false, err
		}
	}
}

// listRange lists the fragments of a time range in time order. A fragment
// that holds the start but began before it is included, as GetMedia would
// start with it: fragments are listed from a maximum fragment duration
// earlier, and those that end before the start are left out.
func listRange(ctx context.Context, c *kinesisvideoarchivedmedia.Client, name, arn *string, producer bool, start, end time.Time) ([]string, error) {
	sel := amtypes.FragmentSelectorTypeServerTimestamp
	if producer {
		sel = amtypes.FragmentSelectorTypeProducerTimestamp
	}
	type frag struct {
		number string
		at     time.Time
	}
	var frags []frag
	in := &kinesisvideoarchivedmedia.ListFragmentsInput{StreamName: name, StreamARN: arn,
		FragmentSelector: &amtypes.FragmentSelector{FragmentSelectorType: sel,
			TimestampRange: &amtypes.TimestampRange{StartTimestamp: aws.Time(start.Add(-maxFragmentSpan)), EndTimestamp: aws.Time(end)}}}
	p := kinesisvideoarchivedmedia.NewListFragmentsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListFragments: %w", err)
		}
		for _, f := range page.Fragments {
			at := aws.ToTime(f.ServerTimestamp)
			if producer {
				at = aws.ToTime(f.ProducerTimestamp)
			}
			if !at.Add(time.Duration(f.FragmentLengthInMilliseconds) * time.Millisecond).After(start) {
				continue
			}
			frags = append(frags, frag{aws.ToString(f.FragmentNumber), at})
		}
	}
	// ListFragments answers in no particular order.
	slices.SortFunc(frags, func(a, b frag) int { return a.at.Compare(b.at) })
	numbers := make([]string, len(frags))
	for i, f := range frags {
		numbers[i] = f.number
	}
	return numbers, nil
}

// maxFragmentSpan is the longest fragment KVS takes (20 s).
const maxFragmentSpan = 20 * time.Second

// parseSubcommand parses a subcommand's flags: each flag first reads
// prefix+NAME from the environment (SHARDCAST_<NAME>), and the command line
// wins. -h answers errHelp; arguments left over are an error.
func parseSubcommand(fs *flag.FlagSet, args []string, getenv func(string) string, prefix string) error {
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := lookupEnv(getenv, prefix+envName(f.Name)); ok {
			f.Value.Set(v)
		}
	})
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}
