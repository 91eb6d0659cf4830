package matroska

// Element IDs (with their length marker bits, as written).
const (
	idEBML        = 0x1A45DFA3
	idDocType     = 0x4282
	idSegment     = 0x18538067
	idSeekHead    = 0x114D9B74
	idInfo        = 0x1549A966
	idTimecodeSc  = 0x2AD7B1
	idTitle       = 0x7BA9
	idMuxingApp   = 0x4D80
	idWritingApp  = 0x5741
	idTracks      = 0x1654AE6B
	idTrackEntry  = 0xAE
	idTrackNumber = 0xD7
	idTrackUID    = 0x73C5
	idTrackType   = 0x83
	idCodecID     = 0x86
	idCodecPriv   = 0x63A2
	idName        = 0x536E
	idDefaultDur  = 0x23E383
	idVideo       = 0xE0
	idPixelWidth  = 0xB0
	idPixelHeight = 0xBA
	idAudio       = 0xE1
	idSampling    = 0xB5
	idChannels    = 0x9F
	idTags        = 0x1254C367
	idTag         = 0x7373
	idSimpleTag   = 0x67C8
	idTagName     = 0x45A3
	idTagString   = 0x4487
	idCluster     = 0x1F43B675
	idTimecode    = 0xE7
	idSimpleBlock = 0xA3
	idBlockGroup  = 0xA0
	idBlock       = 0xA1
	idRefBlock    = 0xFB
	idVoid        = 0xEC
	idCRC32       = 0xBF
)

// clusterChild reports whether id may appear inside a Cluster; an element
// that may not ends a Cluster of unknown size.
func clusterChild(id uint32) bool {
	switch id {
	case idTimecode, idSimpleBlock, idBlockGroup, idVoid, idCRC32,
		0xA7 /* Position */, 0xAB /* PrevSize */, 0x5854 /* SilentTracks */, 0xAF /* EncryptedBlock */ :
		return true
	}
	return false
}
