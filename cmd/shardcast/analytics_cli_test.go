package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The API through the AWS CLI: create with inputs, outputs and code,
// describe, list, discover, start, stop, tags, an error, delete.
func TestAnalyticsCLI(t *testing.T) {
	srv := startServer(t, testConfig(t))
	kc := client(srv.URL(), testCreds)
	createStream(t, kc, "ticks", 1)
	createStream(t, kc, "out", 1)
	putJSON(t, kc, "ticks", []map[string]any{{"TICKER_SYMBOL": "AMZN", "SECTOR": "TECHNOLOGY", "CHANGE": -1.5, "PRICE": 10.25}})
	cli := newCLI(t, srv.URL())

	var discovered struct {
		InputSchema struct {
			RecordColumns []struct{ Name, SqlType, Mapping string }
		}
		RawInputRecords []string
	}
	cli.ok(&discovered, "kinesisanalytics", "discover-input-schema", "--resource-arn", streamARN("ticks"), "--role-arn", analyticsRole,
		"--input-starting-position-configuration", "InputStartingPosition=TRIM_HORIZON")
	if len(discovered.InputSchema.RecordColumns) != 4 || len(discovered.RawInputRecords) != 1 {
		t.Fatalf("discovered %+v", discovered)
	}
	cols, _ := json.Marshal(discovered.InputSchema.RecordColumns)
	create := fmt.Sprintf(`{"ApplicationName": "cliapp", "ApplicationDescription": "from the CLI",
 "Inputs": [{"NamePrefix": "SOURCE_SQL_STREAM", "KinesisStreamsInput": {"ResourceARN": %q, "RoleARN": %q},
   "InputSchema": {"RecordFormat": {"RecordFormatType": "JSON", "MappingParameters": {"JSONMappingParameters": {"RecordRowPath": "$"}}}, "RecordColumns": %s}}],
 "Outputs": [{"Name": "DESTINATION_SQL_STREAM", "KinesisStreamsOutput": {"ResourceARN": %q, "RoleARN": %q}, "DestinationSchema": {"RecordFormatType": "CSV"}}],
 "ApplicationCode": "CREATE OR REPLACE STREAM \"DESTINATION_SQL_STREAM\" (ticker VARCHAR(4), price REAL);\nCREATE OR REPLACE PUMP \"P\" AS INSERT INTO \"DESTINATION_SQL_STREAM\" SELECT STREAM ticker_symbol, price FROM \"SOURCE_SQL_STREAM_001\";",
 "Tags": [{"Key": "team", "Value": "data"}]}`, streamARN("ticks"), analyticsRole, cols, streamARN("out"), analyticsRole)
	var created struct {
		ApplicationSummary struct{ ApplicationARN, ApplicationStatus string }
	}
	cli.ok(&created, "kinesisanalytics", "create-application", "--cli-input-json", create)
	if created.ApplicationSummary.ApplicationStatus != "READY" {
		t.Fatalf("created %+v", created)
	}
	var list struct {
		ApplicationSummaries []struct{ ApplicationName string }
		HasMoreApplications  bool
	}
	cli.ok(&list, "kinesisanalytics", "list-applications")
	if len(list.ApplicationSummaries) != 1 || list.ApplicationSummaries[0].ApplicationName != "cliapp" || list.HasMoreApplications {
		t.Fatalf("list %+v", list)
	}
	var tags struct{ Tags []struct{ Key, Value string } }
	cli.ok(&tags, "kinesisanalytics", "list-tags-for-resource", "--resource-arn", created.ApplicationSummary.ApplicationARN)
	if len(tags.Tags) != 1 || tags.Tags[0].Value != "data" {
		t.Fatalf("tags %+v", tags)
	}
	cli.ok(nil, "kinesisanalytics", "start-application", "--application-name", "cliapp",
		"--input-configurations", `[{"Id": "1.1", "InputStartingPositionConfiguration": {"InputStartingPosition": "TRIM_HORIZON"}}]`)
	out := waitRecords(t, kc, "out", 1)
	if got := strings.TrimSpace(string(out[0].Data)); got != "AMZN,10.25" {
		t.Fatalf("output %q", got)
	}
	_, stderr, code := cli.run("kinesisanalytics", "update-application", "--application-name", "cliapp", "--current-application-version-id", "1",
		"--application-update", `{"ApplicationCodeUpdate": "CREATE STREAM oops"}`)
	if code == 0 || !strings.Contains(stderr, "CodeValidationException") || !strings.Contains(stderr, "line 1, column") {
		t.Fatalf("bad code: exit %d: %s", code, stderr)
	}
	cli.ok(nil, "kinesisanalytics", "stop-application", "--application-name", "cliapp")
	var d struct {
		ApplicationDetail struct {
			ApplicationStatus string
			CreateTimestamp   string
		}
	}
	for {
		cli.ok(&d, "kinesisanalytics", "describe-application", "--application-name", "cliapp")
		if d.ApplicationDetail.ApplicationStatus == "READY" {
			break
		}
	}
	cli.ok(nil, "kinesisanalytics", "delete-application", "--application-name", "cliapp", "--create-timestamp", d.ApplicationDetail.CreateTimestamp)
	_, stderr, code = cli.run("kinesisanalytics", "describe-application", "--application-name", "cliapp")
	if code == 0 || !strings.Contains(stderr, "ResourceNotFoundException") {
		t.Fatalf("after delete: exit %d: %s", code, stderr)
	}
}
