# shardcast: build, test and benchmark.
GO ?= go
# The end-to-end tests drive real clients: the AWS CLI v2, ffmpeg and
# GStreamer as cameras, ffprobe to check what shardcast stores, Chromium
# running hls.js as a browser viewer, OpenCV (Debian's python3-opencv) as a
# program reading the live HLS URL, boto3, and the AWS SDK for JavaScript
# v3 under node and (bundled by esbuild) in Chromium; Debian's nats-server
# for the JetStream store.
AWS := /usr/bin/aws
# The JavaScript SDK tests' npm project (pinned in its package-lock.json);
# boto3 is Debian's python3-boto3, run by /usr/bin/python3.
JSCLIENT := cmd/shardcast/testdata/jsclient
# Firehose's tests start real destinations: an S3-compatible server
# (versitygw with its posix backend, built from the Go module proxy at a
# pinned version) and Debian's PostgreSQL standing in for Redshift.
# Parquet files are read back by DuckDB (npm @duckdb/node-api, pinned).
DUCKDB := datastreams/firehose/format/testdata/duckdb
# The web console's tests: playwright-core drives Debian's Chromium, and
# axe-core checks accessibility (both pinned in its package-lock.json).
UITEST := cmd/shardcast/testdata/ui
VERSITYGW_VERSION := v1.8.0
VERSITYGW := $(shell $(GO) env GOPATH)/bin/versitygw
GST_ELEMENTS := rtspclientsink openh264enc avenc_aac h264parse aacparse videotestsrc audiotestsrc mp4mux qtdemux identity

.PHONY: all build test deps vet staticcheck unit bench fuzz clean screenshots

all: build

build:
	$(GO) build -o bin/shardcast ./cmd/shardcast

# make test: install missing test tools, then vet, staticcheck and the whole
# suite with the race detector. A missing tool fails the run; nothing is skipped.
test: deps vet staticcheck unit

deps:
	@vlog=$$(mktemp); \
	( $(GO) version -m $(VERSITYGW) 2>/dev/null | grep -q 'mod.*github.com/versity/versitygw.*$(VERSITYGW_VERSION)' || \
		GOBIN=$$(dirname $(VERSITYGW)) $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION) ) >$$vlog 2>&1 & vgw=$$!; \
	missing=""; \
	[ -x $(AWS) ] || missing="$$missing awscli"; \
	command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v gst-launch-1.0 >/dev/null || missing="$$missing gstreamer1.0-tools"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || missing="$$missing nats-server"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	/usr/bin/python3 -c 'import snappy' 2>/dev/null || missing="$$missing python3-snappy"; \
	command -v unzip >/dev/null || missing="$$missing unzip"; \
	command -v gzip >/dev/null || missing="$$missing gzip"; \
	/usr/bin/python3 -c 'import cv2' 2>/dev/null || missing="$$missing python3-opencv"; \
	/usr/bin/python3 -c 'import boto3' 2>/dev/null || missing="$$missing python3-boto3"; \
	command -v node >/dev/null && command -v npm >/dev/null || missing="$$missing nodejs npm"; \
	for e in $(GST_ELEMENTS); do gst-inspect-1.0 $$e >/dev/null 2>&1 || { \
		missing="$$missing gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-rtsp gstreamer1.0-libav"; break; }; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing:$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
		else \
			echo "the tests need:$$missing (install them as root: apt-get install$$missing)"; exit 1; \
		fi; \
	fi; \
	wait $$vgw || { cat $$vlog; echo "building versitygw $(VERSITYGW_VERSION) failed"; exit 1; }; rm -f $$vlog; \
	[ -d $(JSCLIENT)/node_modules/dashjs ] || (cd $(JSCLIENT) && npm ci --no-audit --no-fund) || exit 1; \
	[ -d $(DUCKDB)/node_modules/@duckdb/node-api ] || (cd $(DUCKDB) && npm ci --no-audit --no-fund) || exit 1; \
	[ -d $(UITEST)/node_modules/playwright-core ] || (cd $(UITEST) && npm ci --no-audit --no-fund) || exit 1; \
	$(AWS) --version; ffmpeg -version | head -1; gst-launch-1.0 --version | head -1; chromium --version 2>/dev/null; \
	node --version; /usr/bin/python3 -c 'import boto3; print("boto3", boto3.__version__)'; \
	$$(command -v nats-server || echo /usr/sbin/nats-server) --version

vet:
	@date +'%T vet'
	$(GO) vet ./...

staticcheck:
	@date +'%T staticcheck'
	$(GO) tool staticcheck ./...

# The end-to-end suite runs twice: on the file store, then on NATS
# JetStream (Debian's nats-server, started by the tests as a real process).
# The second run leaves out the tests of output formats that read stored
# fragments through the same fragments.Store calls as HLS and GetMedia,
# which it does run (DASH, GetImages, the GetMedia reader and its limits):
# they test no storage and would add minutes.
# Firehose's tests of formats and destination protocols store nothing the
# file pass does not; its API, restart, kill -9, source and buffering tests
# run on JetStream too. The tests of credentials, policies, STS, RTSPS and names
# check the one check and the protocols, not storage (the audit stream's
# test runs on both). DynamoDB's CLI, boto3 and policy tests check the wire
# and the check; its SDK tests (a restart among them) run on JetStream too.
# The producer, consumer and agent tests are of the libraries, whose
# storage is the same API: on JetStream run one of each (the producer's
# routing and reshard, the consumer's reshard and restart with its lease
# table in the key-value bucket, the agent's kill -9 test).
FIREHOSE_NATS_SKIP := TestFirehose(Boto3|BufferByInterval|CompressionFormats|CreatingThenActive|DataStreamSourceToS3|HTTPEndpoint(Delivery|GivesUp|Outage|RetrySameRequest|SplitsLargeBuffers|UpdateWhileFailing|WithTransform)|JQPartitioning|Lambda|OpenSearch|Parquet|Redshift|S3Compatible|Splunk)
SECURITY_NATS_SKIP := TestHostileNamesEverywhere|TestPoliciesWithSDK|TestSignatureErrorsWithSDK|TestSTSSessionsWithSDK|TestSecurityWithCLIAndBoto3|TestWHIPTokenPolicies|TestRTSPPerStreamCredentials|TestRTSPS[A-Z]
DYNAMODB_NATS_SKIP := TestDynamoDB(CLI|Boto3|PolicyWithSDK)
# Analytics: the API, CLI, discovery, the guide's examples and the Firehose
# output check the engine and the wire; the kill -9 exactly-once test and
# the SDK data test run on JetStream too.
ANALYTICS_NATS_SKIP := TestAnalytics(API|CLI|DiscoverInputSchema|DeveloperGuideExamples|FirehoseOutput)
LIBS_NATS_SKIP := TestKCL(BalanceFailover|ReshardRestartEFO|WorkerProcess|KillProcess|AtTimestamp)|TestKPLProducer(Ordered|Throttled|ReportsGivenUp|Firehose|ShardRateLimit|BackpressureAndGiveUp|IntoFirehoseSource)|TestAgent(Firehose|Flags|ConfigJSONAndYAML|RecoversDeliveredBatch|OnceInOrderWithLostAnswers)
# The console's tests drive the same APIs from a browser: they run on the
# file pass only, as do the tests that choose the file store themselves
# (damage, a full disk, the reserve, the catalog cache, key rotation,
# encryption's files) and the stream-state delays. So do the tests of
# protocols and clients that store
# nothing the kept tests do not: browsers, WebRTC's transport (trickle,
# ICE restarts, TCP, loss, OBS), the RTSP re-serve and pull sources,
# README's commands, the CLI's, boto3's and the JavaScript SDK's wire,
# TLS and h2c, the producer clock's rules and publishing rules. The
# JetStream pass keeps what stores and reads back: cameras (ffmpeg,
# GStreamer, PutMedia, three sources at once), playback, crashes, damage,
# the disk reserve, the SDK suites, reshards under writers, EFO.
CONSOLE_NATS_SKIP := TestConsole|TestDamaged(DataRecord|Fragment)|TestDisk(Full|Reserve)|TestCatalogRebuild|TestMasterKeyRotation|TestMemoryStorage|TestEncryptionAtRest$$|TestSDKStreamStates|TestReadmeExamples|TestProducerTimestampsFastSenderClock|TestWHIPChromium|TestPlayerPageWithCredentialsChromium|TestRTSPReserve$$|TestAWSCLI|TestKVSWithAWSCLI|TestPublishRules|TestBoto3Reshard|TestHLSJSChromium|TestWHIP(PacketLoss|ICERestart|TCPOnly|Trickle|OBSAndErrors)|TestPullSource|TestH2CMedia|TestWHEPPlayPageChromium|TestPlayPageOfflineAndBack|TestVP9AndAV1Playback|TestJSSDK(SubscribeToShard|BrowserCORS)|TestWHEPClientHelper|TestSlowLyingClientsCostLittle|TestKinesisOverTLS
NATS_SKIP := ^(TestDASH|TestGetImages|TestMediaGet|TestGetMedia(ConnectionLimit|Pacing|CallRate)|$(FIREHOSE_NATS_SKIP)|$(SECURITY_NATS_SKIP)|$(DYNAMODB_NATS_SKIP)|$(LIBS_NATS_SKIP)|$(ANALYTICS_NATS_SKIP)|$(CONSOLE_NATS_SKIP))
unit:
	@date +'%T the file pass'
	$(GO) test -race -timeout 20m ./...
	@date +'%T the JetStream pass'
	SHARDCAST_TEST_STORAGE=nats $(GO) test -race -timeout 20m -skip '$(NATS_SKIP)' ./cmd/shardcast/
	@date +'%T done'

# make bench: the figures quoted in the README. The server runs as its own
# process (optimized build, fsync on); the AWS SDK for Go is the client.
BENCH_CLIENTS ?= 64
BENCH_STREAMS ?= 100
BENCH_WHIP_STREAMS ?= 20
BENCH_PUTMEDIA_STREAMS ?= 20
BENCH_SECONDS ?= 30
bench:
	BENCH_CLIENTS=$(BENCH_CLIENTS) $(GO) test -run '^$$' -bench 'PutRecords$$|PutRecordsWire' -benchtime 4000x ./cmd/shardcast/
	BENCH_CLIENTS=$(BENCH_CLIENTS) BENCH_WIRE_STORAGE=memory $(GO) test -run '^$$' -bench 'PutRecordsWire' -benchtime 4000x ./cmd/shardcast/
	BENCH_CLIENTS=$(BENCH_CLIENTS) $(GO) test -run '^$$' -bench 'PutRecordsAuth' -benchtime 4000x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'CheckPutRecords' -benchtime 2s ./web/awsapi/
	$(GO) test -run '^$$' -bench 'ProducerAggregated' -benchtime 3000000x ./cmd/shardcast/
	BENCH_SECONDS=$(BENCH_SECONDS) $(GO) test -run '^$$' -bench 'Consumer4Workers' -benchtime 1x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'GetRecords|PutToVisible' -benchtime 3s ./cmd/shardcast/
	BENCH_CLIENTS=$(BENCH_CLIENTS) $(GO) test -run '^$$' -bench 'FirehosePutRecordBatch' -benchtime 4000x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'FirehosePutToVisible/interval0' -benchtime 50x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'FirehosePutToVisible/60s' -benchtime 1x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'SubscribeToShard' -benchtime 400x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./datastreams/shard/ ./datastreams/seqnum/ ./datastreams/autoscale/
	$(GO) test -run '^$$' -bench 'ReshardUnderWrites' -benchtime 30x ./cmd/shardcast/
	BENCH_STREAMS=$(BENCH_STREAMS) BENCH_SECONDS=$(BENCH_SECONDS) $(GO) test -run '^$$' -bench 'RTSPIngest' -benchtime 1x -timeout 30m ./cmd/shardcast/
	BENCH_WHIP_STREAMS=$(BENCH_WHIP_STREAMS) BENCH_SECONDS=$(BENCH_SECONDS) $(GO) test -run '^$$' -bench 'WHIPIngest' -benchtime 1x -timeout 30m ./cmd/shardcast/
	BENCH_PUTMEDIA_STREAMS=$(BENCH_PUTMEDIA_STREAMS) BENCH_SECONDS=$(BENCH_SECONDS) $(GO) test -run '^$$' -bench 'PutMediaIngest' -benchtime 1x -timeout 30m ./cmd/shardcast/
	BENCH_SECONDS=$(BENCH_SECONDS) $(GO) test -run '^$$' -bench 'LLHLSLatency' -benchtime 1x ./cmd/shardcast/
	BENCH_SECONDS=$(BENCH_SECONDS) $(GO) test -run '^$$' -bench 'RTSPReserveLatency|WHEPLatency' -benchtime 1x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'OnDemandPlaylist24h' -benchtime 10x ./playback/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./playback/getmedia/
	$(GO) test -run '^$$' -bench 'GetImages' -benchtime 20x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'DASHManifest5000' -benchtime 10x ./playback/
	$(GO) test -run '^$$' -bench 'AnalyticsFilterProject|AnalyticsTumbling10kKeys' -benchtime 500000x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'AnalyticsWindowLatency' -benchtime 10x ./cmd/shardcast/
	$(GO) test -run '^$$' -bench 'FilterProject|Tumbling10kKeys' -benchtime 300000x ./datastreams/analytics/sqlengine/
	$(GO) test -run '^$$' -bench 'FilterProject' -benchtime 300000x ./datastreams/analytics/
	$(GO) test -run '^$$' -bench 'Update' -benchtime 20000x ./datastreams/analytics/rcf/
	$(GO) test -run '^$$' -bench 'ConsoleFirstPaint' -benchtime 20x ./cmd/shardcast/

# make fuzz: run every fuzz target for FUZZTIME each, and the decoders of
# the signed tokens clients hand back (shard iterators, HLS session tokens,
# GetImages NextTokens, STS session tokens) for TOKEN_FUZZTIME each.
FUZZTIME ?= 30s
TOKEN_FUZZTIME ?= 5m
TOKEN_FUZZ := FuzzDecodeIterator FuzzOpenSession FuzzOpenImagesToken FuzzOpen
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			t=$(FUZZTIME); case " $(TOKEN_FUZZ) " in *" $$f "*) t=$(TOKEN_FUZZTIME);; esac; \
			echo "== $$pkg $$f ($$t)"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $$t $$pkg || exit 1; \
		done; \
	done

# make screenshots: the console's pages at 1280x800, from a running server
# with two ffmpeg cameras, data, a delivery and a SQL application, into
# docs/screenshots (shown in README).
screenshots: deps
	mkdir -p docs/screenshots
	SHARDCAST_SCREENSHOTS=docs/screenshots $(GO) test -count=1 -run '^TestConsolePages$$' ./cmd/shardcast/

clean:
	rm -rf bin
