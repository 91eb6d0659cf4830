package producer

import (
	"cmp"
	"errors"
	"slices"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// The ordered mode (Config.Ordered) and the unknown-outcome rule
// (Config.RetryUnknownOutcome).

// mayGo reports whether k may be taken into a call now with Ordered: its
// shard has no other record out, and the shard's parents have none out;
// p.mu is held.
func (p *Producer) mayGo(k *kRecord) bool {
	s := k.shard
	if s.out > 0 && !k.sent {
		return false
	}
	keep := s.parents[:0]
	for _, par := range s.parents {
		if par.out > 0 {
			keep = append(keep, par)
		}
	}
	clear(s.parents[len(keep):])
	s.parents = keep
	return len(keep) == 0
}

// inherit makes the closed shard o a parent of s, a shard of the new map
// whose range it shares. The closed parents of o that still have a record
// out become s's parents too (the map may have changed twice while that
// record was out), and a hold on o holds s: the records put after the
// failure must not go ahead of the caller's putting them again, whichever
// shard they hash to now; p.mu is held.
func (p *Producer) inherit(s, o *shard) {
	s.parents = append(s.parents, o)
	for _, g := range o.parents {
		if g.out > 0 && s.r.overlaps(g.r) && !slices.Contains(s.parents, g) {
			s.parents = append(s.parents, g)
		}
	}
	if o.held {
		s.hold(o.heldSeq)
	}
}

// release ends k's turn on its shard: it was settled, or taken apart to
// be added again; p.mu is held.
func (p *Producer) release(k *kRecord) {
	if k.sent {
		k.sent = false
		k.shard.out--
	}
}

// requeue adds user records again (after a reshard, or when an aggregate
// landed across a new boundary). With Ordered, the records of the shards
// they go to that are not sent yet are taken apart and added again with
// them, so that all go in Put order; p.mu is held.
func (p *Producer) requeue(users []userRecord) {
	if len(users) == 0 {
		return
	}
	if p.ordered {
		dest := map[*shard]bool{}
		for _, u := range users {
			dest[p.route(u.hash)] = true
		}
		keep := p.ready[:0]
		for _, k := range p.ready {
			if !dest[k.shard] {
				keep = append(keep, k)
				continue
			}
			p.release(k)
			users = append(users, k.users...)
		}
		clear(p.ready[len(keep):])
		p.ready = keep
		for s := range dest {
			users = append(users, s.users...)
			s.users = nil
			s.agg.Reset()
		}
	}
	slices.SortFunc(users, func(a, b userRecord) int { return cmp.Compare(a.seq, b.seq) })
	for _, u := range users {
		p.add(u, u.data)
	}
}

// giveUp reports k's user records with err. With Ordered the shard is
// held: its records not sent yet are reported with ErrHeldBack, and so
// are the records put for it until a Flush; a closed shard holds the open
// shards that share its range as well; p.mu is held.
func (p *Producer) giveUp(k *kRecord, err error) {
	for _, u := range k.users {
		p.failUser(u, err)
	}
	if !p.ordered {
		return
	}
	s := k.shard
	held := []*shard{s}
	if s.gone {
		for _, o := range p.shards {
			if o.r.overlaps(s.r) {
				held = append(held, o)
			}
		}
	}
	p.release(k)
	for _, h := range held {
		h.hold(k.users[len(k.users)-1].seq)
		for _, u := range h.users {
			p.failUser(u, ErrHeldBack)
		}
		h.users = nil
		h.agg.Reset()
	}
	keep := p.ready[:0]
	for _, r := range p.ready {
		if !slices.Contains(held, r.shard) {
			keep = append(keep, r)
			continue
		}
		p.release(r)
		for _, u := range r.users {
			p.failUser(u, ErrHeldBack)
		}
	}
	clear(p.ready[len(keep):])
	p.ready = keep
}

// hold holds s until a Flush returns that saw the record put as seq
// reported (and every failure it holds s for before).
func (s *shard) hold(seq uint64) {
	if !s.held || seq > s.heldSeq {
		s.held, s.heldSeq = true, seq
	}
}

// releaseHolds lets shards send again whose failed record was put before
// target, once Flush(target) has seen it reported; p.mu is held.
func (p *Producer) releaseHolds(target uint64) {
	for _, s := range append([]*shard{p.unrouted}, p.shards...) {
		if s.held && s.heldSeq < target {
			s.held = false
		}
	}
}

// unknownOutcome reports whether a failed call may have been stored: no
// answer came (a transport error, a timeout: the SDK reports those as a
// ResponseError with status 0), an answer that could not be read, or the
// service answered 5xx. A 4xx answer says the call was refused whole.
func unknownOutcome(err error) bool {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		code := re.HTTPStatusCode()
		return code < 400 || code >= 500
	}
	var ae smithy.APIError
	return !errors.As(err, &ae)
}
