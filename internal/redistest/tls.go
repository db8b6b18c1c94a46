package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// ErrTLSUnsupported is returned by the constructors when a TLS server was
// asked for but redis-server was built without TLS support.
var ErrTLSUnsupported = errors.New("redistest: redis-server was built without TLS support (BUILD_TLS=yes); install a TLS-enabled Redis 7")

// TLSMode says whether and how a server speaks TLS.
type TLSMode int

const (
	// TLSOff serves plain TCP. It is the zero value.
	TLSOff TLSMode = iota

	// TLSServer serves TLS only (port 0, tls-port) with a throwaway
	// certificate. Clients verify the server against the throwaway CA and
	// may present a client certificate, which is then verified
	// (tls-auth-clients optional).
	TLSServer

	// TLSMutual is TLSServer where every client must present a certificate
	// signed by the throwaway CA (tls-auth-clients yes).
	TLSMutual
)

// String returns "off", "server" or "mutual".
func (m TLSMode) String() string {
	switch m {
	case TLSOff:
		return "off"
	case TLSServer:
		return "server"
	case TLSMutual:
		return "mutual"
	default:
		return fmt.Sprintf("TLSMode(%d)", int(m))
	}
}

// TLSFiles are the paths of the PEM files of a TLS server, for tools such as
// redis-cli (--tls --cacert CACert --cert ClientCert --key ClientKey).
type TLSFiles struct {
	// CACert is the throwaway CA certificate that signed both certificates.
	CACert string
	// ServerCert and ServerKey are what redis-server presents. The
	// certificate is for IP 127.0.0.1 and DNS localhost, and can also
	// authenticate as a client (replication and cluster bus connections).
	ServerCert, ServerKey string
	// ClientCert and ClientKey are a client certificate signed by the CA.
	ClientCert, ClientKey string
}

// certValidity is how long generated certificates are valid.
const certValidity = time.Hour

// certs is a generated CA with one server and one client certificate, shared
// by all the nodes of a replicated setup or cluster.
type certs struct {
	files TLSFiles
	// config is the client configuration; hand out clones only.
	config *tls.Config
}

// clientConfig returns a new client configuration that trusts the CA and
// presents the client certificate.
func (c *certs) clientConfig() *tls.Config {
	if c == nil {
		return nil
	}
	return c.config.Clone()
}

// generateCerts writes a fresh CA, server and client certificate with their
// keys into dir.
func generateCerts(dir string) (*certs, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "redistest CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}

	leaf := func(name string, usage []x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, fmt.Errorf("generate %s key: %w", name, err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{CommonName: "redistest " + name},
			NotBefore:    now.Add(-time.Minute),
			NotAfter:     now.Add(certValidity),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  usage,
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
			DNSNames:     []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, fmt.Errorf("create %s certificate: %w", name, err)
		}
		return der, key, nil
	}
	// Redis uses its server certificate as the client certificate of
	// replication and cluster bus connections, so it needs both usages.
	srvDER, srvKey, err := leaf("server", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth})
	if err != nil {
		return nil, err
	}
	cliDER, cliKey, err := leaf("client", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth})
	if err != nil {
		return nil, err
	}

	files := TLSFiles{
		CACert:     filepath.Join(dir, "ca.crt"),
		ServerCert: filepath.Join(dir, "server.crt"),
		ServerKey:  filepath.Join(dir, "server.key"),
		ClientCert: filepath.Join(dir, "client.crt"),
		ClientKey:  filepath.Join(dir, "client.key"),
	}
	if err := writePEM(files.CACert, "CERTIFICATE", caDER); err != nil {
		return nil, err
	}
	if err := writePEM(files.ServerCert, "CERTIFICATE", srvDER); err != nil {
		return nil, err
	}
	if err := writeKey(files.ServerKey, srvKey); err != nil {
		return nil, err
	}
	if err := writePEM(files.ClientCert, "CERTIFICATE", cliDER); err != nil {
		return nil, err
	}
	if err := writeKey(files.ClientKey, cliKey); err != nil {
		return nil, err
	}

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	conf := &tls.Config{
		MinVersion: tls.VersionTLS12,
		RootCAs:    pool,
		ServerName: "127.0.0.1",
		Certificates: []tls.Certificate{{
			Certificate: [][]byte{cliDER},
			PrivateKey:  cliKey,
		}},
	}
	return &certs{files: files, config: conf}, nil
}

// serial returns a random certificate serial number.
func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

// writePEM writes one PEM block to path.
func writePEM(path, typ string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeKey writes key to path as a PKCS #8 PEM block.
func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("marshal key for %s: %w", path, err)
	}
	return writePEM(path, "PRIVATE KEY", der)
}

// tlsConfigLines returns the redis.conf lines that serve TLS on port.
func tlsConfigLines(c *certs, mode TLSMode, port int) []string {
	auth := "optional"
	if mode == TLSMutual {
		auth = "yes"
	}
	return []string{
		"port 0",
		fmt.Sprintf("tls-port %d", port),
		"tls-cert-file " + quote(c.files.ServerCert),
		"tls-key-file " + quote(c.files.ServerKey),
		"tls-ca-cert-file " + quote(c.files.CACert),
		"tls-auth-clients " + auth,
		"tls-replication yes",
		"tls-cluster yes",
	}
}
