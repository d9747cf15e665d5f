// The interceptors a receiving Pion peer needs against hdmirtc, shared by
// pion-whep-play and pion-whip-server (whose build.sh copies this file).
package main

import (
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
)

// receiverInterceptors: NACKs for lost packets (the service resends from
// its history) and receiver reports (its RTT and loss figures, and, for a
// WHIP session, the reports whose silence tells it the path broke).  Not
// ConfigureNack: it registers the nack feedback a second time.
func receiverInterceptors() (*interceptor.Registry, error) {
	registry := &interceptor.Registry{}
	generator, err := nack.NewGeneratorInterceptor()
	if err != nil {
		return nil, err
	}
	registry.Add(generator)
	receiverReports, err := report.NewReceiverInterceptor()
	if err != nil {
		return nil, err
	}
	registry.Add(receiverReports)
	return registry, nil
}
