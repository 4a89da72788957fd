// A small SMTP client on Go's net/smtp (Debian's golang-go, Go 1.19), for
// `smtpfuzz audit`.
//
// usage:
//
//	go-smtp-client --mode starttls|implicit --tls required|opportunistic
//	    --addr A --port P --host NAME --cafile F --user U --password P
//	    --from F --to T --message FILE
//
// It does what smtp.SendMail does, with the certificate verified for NAME
// against the test CA: it connects to ADDR, says EHLO (HELO if EHLO fails),
// starts TLS when the server offers STARTTLS (refusing to go on without it
// when --tls required) or from the first byte (--mode implicit), says AUTH
// PLAIN through smtp.PlainAuth when the server offers AUTH, and sends the
// message file as it is (net/smtp's DATA writer makes LF line ends CRLF and
// doubles leading dots). net/smtp sets no timeouts, and neither does this
// program: that is what an application using SendMail gets. Exit 0 when the
// message was accepted.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"net"
	"net/smtp"
	"os"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "error: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	keys := []string{"mode", "tls", "addr", "port", "host", "cafile", "user", "password", "from", "to", "message"}
	v := map[string]*string{}
	for _, k := range keys {
		v[k] = flag.String(k, "", k)
	}
	flag.Parse()
	for _, k := range keys {
		if *v[k] == "" {
			fmt.Fprintf(os.Stderr, "go-smtp-client: --%s is required\n", k)
			os.Exit(2)
		}
	}
	mode, policy, host := *v["mode"], *v["tls"], *v["host"]
	if (mode != "starttls" && mode != "implicit") || (policy != "required" && policy != "opportunistic") {
		fmt.Fprintln(os.Stderr, "go-smtp-client: --mode starttls|implicit, --tls required|opportunistic")
		os.Exit(2)
	}
	pem, err := os.ReadFile(*v["cafile"])
	if err != nil {
		fail("%v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		fail("%s: no certificate", *v["cafile"])
	}
	msg, err := os.ReadFile(*v["message"])
	if err != nil {
		fail("%v", err)
	}
	cfg := &tls.Config{ServerName: host, RootCAs: roots}
	addr := net.JoinHostPort(*v["addr"], *v["port"])

	var conn net.Conn
	if mode == "implicit" {
		conn, err = tls.Dial("tcp", addr, cfg)
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		fail("connect: %v", err)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		fail("greeting: %v", err)
	}
	defer c.Close()
	if err = c.Hello("client.example.org"); err != nil {
		fail("EHLO: %v", err)
	}
	if mode == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err = c.StartTLS(cfg); err != nil {
				fail("STARTTLS: %v", err)
			}
		} else if policy == "required" {
			c.Quit()
			fail("STARTTLS not offered; TLS is required")
		}
	}
	if ok, _ := c.Extension("AUTH"); ok {
		if err = c.Auth(smtp.PlainAuth("", *v["user"], *v["password"], host)); err != nil {
			fail("AUTH: %v", err)
		}
	}
	if err = c.Mail(*v["from"]); err != nil {
		fail("MAIL: %v", err)
	}
	if err = c.Rcpt(*v["to"]); err != nil {
		fail("RCPT: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		fail("DATA: %v", err)
	}
	if _, err = w.Write(msg); err != nil {
		fail("message: %v", err)
	}
	if err = w.Close(); err != nil {
		fail("end of message: %v", err)
	}
	if err = c.Quit(); err != nil {
		fail("QUIT: %v", err)
	}
}
