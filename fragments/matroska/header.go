package matroska

import (
	"errors"
	"fmt"
)

// The elements read whole: the EBML header, Info, Tracks and Tags.

func (r *Reader) readEBMLHeader(e elem) error {
	body, err := r.body(e, 4096)
	if err != nil {
		return err
	}
	h := &Header{}
	err = children(body, func(id uint32, b []byte) error {
		if id == idDocType {
			h.DocType = string(b)
		}
		return nil
	})
	if err != nil {
		return r.invalid(e.offset, "EBML header: "+err.Error())
	}
	if h.DocType != "matroska" && h.DocType != "webm" {
		return r.invalid(e.offset, fmt.Sprintf("DocType %q is not matroska or webm", h.DocType))
	}
	r.header = h
	return nil
}

func (r *Reader) parseInfo(e elem, body []byte) error {
	err := children(body, func(id uint32, b []byte) error {
		switch id {
		case idTimecodeSc:
			if v := readUint(b); v > 0 {
				r.header.TimecodeScale = v
			}
		case idTitle:
			r.header.Title = string(b)
		case idMuxingApp:
			r.header.MuxingApp = string(b)
		case idWritingApp:
			r.header.WritingApp = string(b)
		}
		return nil
	})
	if err != nil {
		return r.invalid(e.offset, "Info: "+err.Error())
	}
	return nil
}

func (r *Reader) parseTracks(e elem, body []byte) ([]Track, error) {
	tracks := []Track{}
	err := children(body, func(id uint32, b []byte) error {
		if id != idTrackEntry {
			return nil
		}
		var t Track
		err := children(b, func(id uint32, v []byte) error {
			switch id {
			case idTrackNumber:
				t.Number = readUint(v)
			case idTrackUID:
				t.UID = readUint(v)
			case idTrackType:
				t.Type = readUint(v)
			case idCodecID:
				t.CodecID = string(v)
			case idCodecPriv:
				t.CodecPrivate = v
			case idName:
				t.Name = string(v)
			case idDefaultDur:
				t.DefaultDuration = readUint(v)
			case idVideo:
				return children(v, func(id uint32, v []byte) error {
					switch id {
					case idPixelWidth:
						t.Width = readUint(v)
					case idPixelHeight:
						t.Height = readUint(v)
					}
					return nil
				})
			case idAudio:
				return children(v, func(id uint32, v []byte) error {
					switch id {
					case idSampling:
						t.SampleRate = readFloat(v)
					case idChannels:
						t.Channels = readUint(v)
					}
					return nil
				})
			}
			return nil
		})
		if err != nil {
			return err
		}
		if t.Number == 0 {
			return errors.New("a TrackEntry without a TrackNumber")
		}
		for _, o := range tracks {
			if o.Number == t.Number {
				return fmt.Errorf("track number %d declared twice", t.Number)
			}
		}
		tracks = append(tracks, t)
		return nil
	})
	if err != nil {
		return nil, r.invalid(e.offset, "Tracks: "+err.Error())
	}
	if len(tracks) == 0 {
		return nil, r.invalid(e.offset, "Tracks declares no track")
	}
	return tracks, nil
}

func (r *Reader) parseTags(e elem, body []byte) ([]Tag, error) {
	var tags []Tag
	var simple func(b []byte) error
	simple = func(b []byte) error {
		var t Tag
		var nested [][]byte
		err := children(b, func(id uint32, v []byte) error {
			switch id {
			case idTagName:
				t.Name = string(v)
			case idTagString:
				t.Value = string(v)
			case idSimpleTag:
				nested = append(nested, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		tags = append(tags, t)
		for _, n := range nested {
			if err := simple(n); err != nil {
				return err
			}
		}
		return nil
	}
	err := children(body, func(id uint32, b []byte) error {
		if id != idTag {
			return nil
		}
		return children(b, func(id uint32, v []byte) error {
			if id == idSimpleTag {
				return simple(v)
			}
			return nil
		})
	})
	if err != nil {
		return nil, r.invalid(e.offset, "Tags: "+err.Error())
	}
	return tags, nil
}
