package analytics

import "math/big"

// evenKey is the first hash key of shard i of n even shards, plus one.
func evenKey(i, n int) string {
	step := new(big.Int).Div(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(int64(n)))
	k := new(big.Int).Mul(step, big.NewInt(int64(i)))
	return k.Add(k, big.NewInt(1)).String()
}
