package firehose

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/shardcast/shardcast/datastreams/envelope"
	"github.com/shardcast/shardcast/datastreams/registry"
	"github.com/shardcast/shardcast/index"
)

// Describe returns a delivery stream's description.
func (e *Engine) Describe(name string) (Description, error) {
	s, err := e.get(name)
	if err != nil {
		return Description{}, err
	}
	def := s.Def()
	st, err := decodeStored(def)
	if err != nil {
		return Description{}, err
	}
	d := Description{
		DeliveryStreamName: def.Name, DeliveryStreamARN: def.ARN, DeliveryStreamStatus: def.Status,
		DeliveryStreamType: st.Type, VersionID: strconv.Itoa(st.VersionID), CreateTimestamp: epoch(def.Created),
		Destinations: []map[string]any{},
	}
	if !st.LastUpdate.IsZero() {
		t := epoch(st.LastUpdate)
		d.LastUpdateTimestamp = &t
	}
	if st.Type == TypeDirectPut {
		enc := map[string]any{"Status": "DISABLED"}
		if def.Encryption.KeyVersion != 0 {
			enc = map[string]any{"Status": "ENABLED", "KeyType": st.KeyType}
			if st.KeyType == "CUSTOMER_MANAGED_CMK" {
				enc["KeyARN"] = st.KeyARN
			}
		}
		d.DeliveryStreamEncryptionConfiguration = enc
	} else if st.Source != nil {
		d.Source = map[string]any{"KinesisStreamSourceDescription": map[string]any{
			"KinesisStreamARN": st.Source.KinesisStreamARN, "RoleARN": st.Source.RoleARN,
			"DeliveryStartTimestamp": epoch(st.SourceStart)}}
	}
	for _, dc := range st.Destinations {
		d.Destinations = append(d.Destinations, describeDestination(dc))
	}
	if f := s.Runtime().failure(); f != "" {
		d.FailureDescription = &FailureDescription{Type: "UNKNOWN_ERROR", Details: truncate(f, 1024)}
	}
	return d, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// describeDestination renders a destination with the description's member
// names, defaults filled in and secrets left out.
func describeDestination(dc DestinationConfig) map[string]any {
	var m map[string]any
	json.Unmarshal(dc.Config, &m)
	if m == nil {
		m = map[string]any{}
	}
	out := map[string]any{"DestinationId": dc.ID}
	rename(m, "S3Configuration", "S3DestinationDescription")
	rename(m, "S3BackupConfiguration", "S3BackupDescription")
	rename(m, "VpcConfiguration", "VpcConfigurationDescription")
	delete(m, "Password")
	if ep, ok := m["EndpointConfiguration"].(map[string]any); ok {
		delete(ep, "AccessKey")
		m["EndpointConfiguration"] = ep
		rename(m, "EndpointConfiguration", "EndpointConfiguration")
	}
	for _, k := range []string{"S3DestinationDescription", "S3BackupDescription"} {
		if sub, ok := m[k].(map[string]any); ok {
			s3Defaults(sub)
		}
	}
	switch dc.Kind {
	case DestExtendedS3, DestS3:
		s3Defaults(m)
		if dc.Kind == DestExtendedS3 {
			if _, ok := m["S3BackupMode"]; !ok {
				m["S3BackupMode"] = "Disabled"
			}
			if _, ok := m["ProcessingConfiguration"]; !ok {
				m["ProcessingConfiguration"] = map[string]any{"Enabled": false, "Processors": []any{}}
			}
			out["ExtendedS3DestinationDescription"] = m
		}
		common := map[string]any{}
		for _, k := range []string{"RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "BufferingHints", "CompressionFormat", "EncryptionConfiguration", "CloudWatchLoggingOptions"} {
			if v, ok := m[k]; ok {
				common[k] = v
			}
		}
		out["S3DestinationDescription"] = common
	case DestHTTPEndpoint:
		out["HttpEndpointDestinationDescription"] = m
	case DestOpenSearch:
		out["AmazonopensearchserviceDestinationDescription"] = m
	case DestElasticsearch:
		out["ElasticsearchDestinationDescription"] = m
	case DestSplunk:
		out["SplunkDestinationDescription"] = m
	case DestRedshift:
		out["RedshiftDestinationDescription"] = m
	}
	return out
}

func rename(m map[string]any, from, to string) {
	if v, ok := m[from]; ok {
		delete(m, from)
		m[to] = v
	}
}

func s3Defaults(m map[string]any) {
	if _, ok := m["BufferingHints"]; !ok {
		m["BufferingHints"] = map[string]any{"SizeInMBs": 5, "IntervalInSeconds": 300}
	}
	if _, ok := m["CompressionFormat"]; !ok {
		m["CompressionFormat"] = "UNCOMPRESSED"
	}
	if _, ok := m["EncryptionConfiguration"]; !ok {
		m["EncryptionConfiguration"] = map[string]any{"NoEncryptionConfig": "NoEncryption"}
	}
	if _, ok := m["Prefix"]; !ok {
		m["Prefix"] = ""
	}
}

// resolveKey returns the master key id of an encryption input.
func (e *Engine) resolveKey(in EncryptionInput) (string, error) {
	switch in.KeyType {
	case "AWS_OWNED_CMK":
		if in.KeyARN != "" {
			return "", errorf(registry.ErrInvalidArgument, "KeyARN is not allowed with KeyType AWS_OWNED_CMK.")
		}
		return e.cfg.Keyring.Resolve(envelope.DefaultAlias)
	case "CUSTOMER_MANAGED_CMK":
		if in.KeyARN == "" {
			return "", errorf(registry.ErrInvalidArgument, "KeyARN is required with KeyType CUSTOMER_MANAGED_CMK.")
		}
		id, err := e.cfg.Keyring.Resolve(in.KeyARN)
		if err != nil {
			return "", errorf(registry.ErrKMSNotFound, "KMS key %s is not found.", in.KeyARN)
		}
		return id, nil
	}
	return "", errorf(registry.ErrValidation, "1 validation error detected: Value '%s' at 'deliveryStreamEncryptionConfigurationInput.keyType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_OWNED_CMK, CUSTOMER_MANAGED_CMK]", in.KeyType)
}

// StartEncryption seals new records with a data key under the given key.
func (e *Engine) StartEncryption(name string, in *EncryptionInput) error {
	if in == nil {
		in = &EncryptionInput{KeyType: "AWS_OWNED_CMK"}
	}
	return e.setEncryption(name, in)
}

// StopEncryption stores new records in plaintext; sealed ones stay readable.
func (e *Engine) StopEncryption(name string) error { return e.setEncryption(name, nil) }

func (e *Engine) setEncryption(name string, in *EncryptionInput) error {
	s, err := e.get(name)
	if err != nil {
		return err
	}
	var keyID string
	if in != nil {
		if keyID, err = e.resolveKey(*in); err != nil {
			return err
		}
	}
	def, err := s.Update(e.ctx, func(def *index.Stream) error {
		st, err := decodeStored(def)
		if err != nil {
			return err
		}
		if st.Type != TypeDirectPut {
			return errorf(registry.ErrInvalidArgument, "Server-side encryption is only supported for DirectPut delivery streams.")
		}
		if in == nil {
			def.Encryption = index.Encryption{Type: "NONE"}
			st.KeyType, st.KeyARN = "", ""
		} else {
			ver, err := e.reg.NewDataKey(def, keyID)
			if err != nil {
				return err
			}
			def.Encryption = index.Encryption{Type: "KMS", KeyID: in.KeyARN, KeyVersion: ver}
			st.KeyType, st.KeyARN = in.KeyType, in.KeyARN
		}
		st.encode(def)
		return nil
	})
	if err != nil {
		return err
	}
	s.Runtime().log.SetKey(def.Encryption.KeyVersion)
	return nil
}

// since is how long ago t was, by the engine's clock (lag reports).
func (e *Engine) since(t time.Time) time.Duration { return e.cfg.Now().Sub(t) }
