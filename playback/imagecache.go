package playback

import (
	"container/list"
	"context"
	"sync"
)

// fragKey names a stored fragment: a stream incarnation and a sequence
// number, never reused.
type fragKey struct {
	stream string
	seq    uint64
}

// imageVariant is how a frame was encoded.
type imageVariant struct {
	width, height int
	format        string
	quality       int // JPEG only
}

type frameImage struct {
	frame   int
	variant imageVariant
}

// fragEntry is what the cache holds of one fragment: its frame times and
// the images made of its frames.
type fragEntry struct {
	key    fragKey
	meta   frameMeta
	images map[frameImage][]byte
	size   int64
}

// imageCache is a least-recently-used cache of fragments' decoded images,
// bounded in bytes: a timeline of thumbnails over the same fragments
// decodes each fragment once.
type imageCache struct {
	mu    sync.Mutex
	limit int64
	size  int64
	lru   *list.List // of *fragEntry, most recent first
	byKey map[fragKey]*list.Element
	// decoding holds a lock per fragment being decoded, so that viewers
	// asking for the same thumbnails at once decode them once.
	decoding map[fragKey]*decodeLock
}

type decodeLock struct {
	turn  chan struct{} // holds a token while a request decodes
	users int
}

func newImageCache(limit int64) *imageCache {
	return &imageCache{limit: limit, lru: list.New(), byKey: map[fragKey]*list.Element{}, decoding: map[fragKey]*decodeLock{}}
}

// lockFragment waits until no other request decodes fragment k (or ctx
// ends) and returns the function that lets the next one in.
func (c *imageCache) lockFragment(ctx context.Context, k fragKey) (unlock func(), err error) {
	c.mu.Lock()
	l := c.decoding[k]
	if l == nil {
		l = &decodeLock{turn: make(chan struct{}, 1)}
		c.decoding[k] = l
	}
	l.users++
	c.mu.Unlock()
	leave := func() {
		c.mu.Lock()
		if l.users--; l.users == 0 {
			delete(c.decoding, k)
		}
		c.mu.Unlock()
	}
	select {
	case l.turn <- struct{}{}:
		return func() { <-l.turn; leave() }, nil
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
}

// entryOverhead approximates the bytes of an entry besides its images.
const entryOverhead = 256

func (c *imageCache) get(k fragKey) *fragEntry {
	el := c.byKey[k]
	if el == nil {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*fragEntry)
}

// meta returns a fragment's frame times, if cached.
func (c *imageCache) meta(k fragKey) (frameMeta, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.get(k); e != nil {
		return e.meta, true
	}
	return frameMeta{}, false
}

// putMeta caches a fragment's frame times.
func (c *imageCache) putMeta(k fragKey, m frameMeta) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.get(k) != nil {
		return
	}
	e := &fragEntry{key: k, meta: m, images: map[frameImage][]byte{}, size: entryOverhead + int64(len(m.offsets))*8}
	c.byKey[k] = c.lru.PushFront(e)
	c.size += e.size
	c.evict()
}

// image returns a cached image of a fragment's frame.
func (c *imageCache) image(k fragKey, frame int, v imageVariant) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.get(k); e != nil {
		b, ok := e.images[frameImage{frame, v}]
		return b, ok
	}
	return nil, false
}

// putImage caches an image of a fragment's frame; the fragment's entry
// must be there (putMeta), else the image is not kept.
func (c *imageCache) putImage(k fragKey, frame int, v imageVariant, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.get(k)
	if e == nil || int64(len(b)) > c.limit/4 {
		return
	}
	fi := frameImage{frame, v}
	if old, ok := e.images[fi]; ok {
		e.size -= int64(len(old))
		c.size -= int64(len(old))
	}
	e.images[fi] = b
	e.size += int64(len(b))
	c.size += int64(len(b))
	c.evict()
}

// evict drops the least recently used fragments until the cache fits.
func (c *imageCache) evict() {
	for c.size > c.limit && c.lru.Len() > 1 {
		el := c.lru.Back()
		e := el.Value.(*fragEntry)
		c.lru.Remove(el)
		delete(c.byKey, e.key)
		c.size -= e.size
	}
}

// bytes returns the cache's size.
func (c *imageCache) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}
