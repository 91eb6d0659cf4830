package kpl

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// schema builds the published messages.proto (proto2) as a descriptor, so
// the tests can encode and decode with the protobuf library itself rather
// than with this package.
func schema(t testing.TB) protoreflect.MessageDescriptor {
	t.Helper()
	opt := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
	req := descriptorpb.FieldDescriptorProto_LABEL_REQUIRED
	rep := descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING
	u64 := descriptorpb.FieldDescriptorProto_TYPE_UINT64
	byt := descriptorpb.FieldDescriptorProto_TYPE_BYTES
	msg := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	field := func(name string, num int32, l descriptorpb.FieldDescriptorProto_Label, ty descriptorpb.FieldDescriptorProto_Type, typeName string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Label: l.Enum(), Type: ty.Enum()}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	fd := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("messages.proto"),
		Package: proto.String("kpltest"),
		Syntax:  proto.String("proto2"),
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("AggregatedRecord"), Field: []*descriptorpb.FieldDescriptorProto{
				field("partition_key_table", 1, rep, str, ""),
				field("explicit_hash_key_table", 2, rep, str, ""),
				field("records", 3, rep, msg, ".kpltest.Record"),
			}},
			{Name: proto.String("Tag"), Field: []*descriptorpb.FieldDescriptorProto{
				field("key", 1, req, str, ""),
				field("value", 2, opt, str, ""),
			}},
			{Name: proto.String("Record"), Field: []*descriptorpb.FieldDescriptorProto{
				field("partition_key_index", 1, req, u64, ""),
				field("explicit_hash_key_index", 2, opt, u64, ""),
				field("data", 3, req, byt, ""),
				field("tags", 4, rep, msg, ".kpltest.Tag"),
			}},
		},
	}
	file, err := protodesc.NewFile(fd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return file.Messages().ByName("AggregatedRecord")
}

// schemaEncode builds the AggregatedRecord for recs with the protobuf
// library, with the tables in first-use order as the KPL fills them.
func schemaEncode(t testing.TB, md protoreflect.MessageDescriptor, recs []Record) []byte {
	t.Helper()
	m := dynamicpb.NewMessage(md)
	pkt := m.Mutable(md.Fields().ByName("partition_key_table")).List()
	ehkt := m.Mutable(md.Fields().ByName("explicit_hash_key_table")).List()
	rl := m.Mutable(md.Fields().ByName("records")).List()
	rd := md.Fields().ByName("records").Message()
	pks, ehks := map[string]uint64{}, map[string]uint64{}
	for _, r := range recs {
		pi, ok := pks[r.PartitionKey]
		if !ok {
			pi = uint64(len(pks))
			pks[r.PartitionKey] = pi
			pkt.Append(protoreflect.ValueOfString(r.PartitionKey))
		}
		sub := dynamicpb.NewMessage(rd)
		sub.Set(rd.Fields().ByName("partition_key_index"), protoreflect.ValueOfUint64(pi))
		if r.ExplicitHashKey != "" {
			ei, ok := ehks[r.ExplicitHashKey]
			if !ok {
				ei = uint64(len(ehks))
				ehks[r.ExplicitHashKey] = ei
				ehkt.Append(protoreflect.ValueOfString(r.ExplicitHashKey))
			}
			sub.Set(rd.Fields().ByName("explicit_hash_key_index"), protoreflect.ValueOfUint64(ei))
		}
		sub.Set(rd.Fields().ByName("data"), protoreflect.ValueOfBytes(append([]byte{}, r.Data...)))
		rl.Append(protoreflect.ValueOfMessage(sub))
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// schemaDecode reads an AggregatedRecord body with the protobuf library.
func schemaDecode(md protoreflect.MessageDescriptor, body []byte) ([]Record, error) {
	m := dynamicpb.NewMessage(md)
	if err := proto.Unmarshal(body, m); err != nil {
		return nil, err
	}
	pkt := m.Get(md.Fields().ByName("partition_key_table")).List()
	ehkt := m.Get(md.Fields().ByName("explicit_hash_key_table")).List()
	rl := m.Get(md.Fields().ByName("records")).List()
	rd := md.Fields().ByName("records").Message()
	var out []Record
	for i := range rl.Len() {
		sub := rl.Get(i).Message()
		pi := sub.Get(rd.Fields().ByName("partition_key_index")).Uint()
		if pi >= uint64(pkt.Len()) {
			return nil, errIndex
		}
		r := Record{PartitionKey: pkt.Get(int(pi)).String(), Data: sub.Get(rd.Fields().ByName("data")).Bytes()}
		if f := rd.Fields().ByName("explicit_hash_key_index"); sub.Has(f) {
			ei := sub.Get(f).Uint()
			if ei >= uint64(ehkt.Len()) {
				return nil, errIndex
			}
			r.ExplicitHashKey = ehkt.Get(int(ei)).String()
		}
		out = append(out, r)
	}
	return out, nil
}

type indexError struct{}

func (indexError) Error() string { return "index past its table" }

var errIndex error = indexError{}
