package main

// The one check: every credential of the configuration in one
// awsapi.Auth, which the APIs, the plain HLS and player URLs, WHIP/WHEP,
// STS and RTSP all ask.

import (
	"github.com/shardcast/shardcast/fragments"
	"github.com/shardcast/shardcast/web/awsapi"
	"github.com/shardcast/shardcast/web/sts"
)

// newAuth builds the Auth of the configuration and the sealer of its STS
// session tokens; video names the video streams' ARNs.
func newAuth(cfg Config, video *fragments.Store) (*awsapi.Auth, *sts.Sealer, error) {
	sealer, err := stsSealer(cfg)
	if err != nil {
		return nil, nil, err
	}
	auth := &awsapi.Auth{Keys: cfg.authKeys(), Tokens: cfg.authTokens(), Roles: cfg.authRoles(),
		Sessions: sessionTokens{sealer}, Account: cfg.AccountID, Region: cfg.Region, Now: cfg.now,
		VideoARN: func(name string) (string, bool) {
			st, err := video.Lookup(fragments.StreamRef{Name: name})
			if err != nil {
				return "", false
			}
			return st.Info().ARN, true
		}}
	return auth, sealer, nil
}
