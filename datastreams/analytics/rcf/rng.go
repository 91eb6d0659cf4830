package rcf

// splitmix is the SplitMix64 generator (Steele, Lea and Flood, "Fast
// splittable pseudorandom number generators", OOPSLA 2014): a 64-bit
// counter stepped by the golden-ratio increment and passed through a
// bijective mixing function. Its whole state is one word, which the
// snapshot saves, so a restored tree draws the same numbers.
type splitmix struct{ state uint64 }

func (s *splitmix) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float draws uniformly from [0, 1) with 53 random bits.
func (s *splitmix) float() float64 {
	return float64(s.next()>>11) * 0x1p-53
}

// open draws uniformly from the open interval (0, 1): the midpoints of
// the 2^53 cells of [0, 1), so that log(u) is always finite.
func (s *splitmix) open() float64 {
	return (float64(s.next()>>11) + 0.5) * 0x1p-53
}
