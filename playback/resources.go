package playback

import (
	"context"

	"github.com/shardcast/shardcast/fragments"
)

// The resources a playlist lists: init segments, segments and parts, each
// waited for while the stream is building it.

// waitStored waits until fragment seq is stored, or its part k exists in
// the fragment being built (k >= 0), and returns the live view then.
func (s *Service) waitStored(ctx context.Context, st *fragments.Stream, seq uint64, k int) (fragments.LiveView, error) {
	if v := st.Live(); seq > v.Next {
		return v, notFound("Fragment %s was not found.", st.FragmentNumber(seq))
	}
	v, ok, err := waitLive(ctx, st, s.cfg.BlockTimeout, func(v fragments.LiveView) bool {
		return seq < v.Next || (seq == v.Next && k >= 0 && k < len(v.Parts))
	})
	if err == nil && !ok {
		err = notFound("Fragment %s was not found.", st.FragmentNumber(seq))
	}
	return v, err
}

// initOf returns the init segment of fragment seq.
func (s *Service) initOf(ctx context.Context, st *fragments.Stream, seq uint64) (*Resource, error) {
	v, err := s.waitStored(ctx, st, seq, 0)
	if err != nil {
		return nil, err
	}
	if seq == v.Next {
		return &Resource{ContentType: typeMP4, Body: v.Parts[0].Init}, nil
	}
	f, _, err := st.Fragment(ctx, seq)
	if err != nil {
		return nil, err
	}
	return &Resource{ContentType: typeMP4, Body: f.Init}, nil
}

// segmentOf returns the media (moof+mdat chunks) of fragment seq, waiting
// for it when it is being built.
func (s *Service) segmentOf(ctx context.Context, st *fragments.Stream, seq uint64) (*fragments.Fragment, error) {
	if _, err := s.waitStored(ctx, st, seq, -1); err != nil {
		return nil, err
	}
	f, _, err := st.Fragment(ctx, seq)
	return f, err
}

// partOf returns part k of fragment seq: from memory while the fragment is
// being built, from the stored fragment afterwards.
func (s *Service) partOf(ctx context.Context, st *fragments.Stream, seq uint64, k int) (*Resource, error) {
	v, err := s.waitStored(ctx, st, seq, k)
	if err != nil {
		return nil, err
	}
	if seq == v.Next {
		return &Resource{ContentType: typeMP4, Body: v.Parts[k].Data}, nil
	}
	f, _, err := st.Fragment(ctx, seq)
	if err != nil {
		return nil, err
	}
	off := 0
	for i, p := range fragments.PartsOf(f) {
		if i == k {
			return &Resource{ContentType: typeMP4, Body: f.Data[off : off+p.Size]}, nil
		}
		off += p.Size
	}
	return nil, notFound("Fragment %s has no part %d.", st.FragmentNumber(seq), k)
}
