/* Named errors of the engine.
 *
 * One list expands to the enum, the name and a one-line description, so a
 * new error cannot be added without a name and a reason. Errors are sticky:
 * the first one a component records is the one it keeps, together with the
 * byte offset (or line) where it was found.
 */
#ifndef SF_ERRORS_H
#define SF_ERRORS_H

#define SF_ERROR_LIST(X)                                                                           \
  X(OK, "no error")                                                                                \
  /* Reply parser (RFC 5321 4.2, 4.2.1, 4.5.3.1.5; RFC 3463, RFC 2034). */                         \
  X(REPLY_CODE_SYNTAX, "reply code is not three digits")                                           \
  X(REPLY_CODE_RANGE, "reply code outside [2-5][0-5][0-9]")                                        \
  X(REPLY_CODE_MISMATCH, "a line of a multiline reply carries a different code")                   \
  X(REPLY_SEPARATOR, "reply code not followed by '-', space or CRLF")                              \
  X(REPLY_BARE_LF, "line ends in LF without CR")                                                   \
  X(REPLY_BARE_CR, "CR not followed by LF")                                                        \
  X(REPLY_NUL, "NUL octet in a reply")                                                             \
  X(REPLY_LINE_TOO_LONG, "reply line longer than 512 octets including CRLF")                       \
  X(REPLY_TOO_MANY_LINES, "multiline reply has more lines than the cap")                           \
  X(REPLY_ENHANCED_CLASS, "enhanced status code class differs from the reply code")                \
  /* EHLO capabilities (RFC 5321 4.1.1.1, RFC 1870, RFC 4954). */                                  \
  X(CAPS_NOT_250, "EHLO reply is not a 250 reply")                                                 \
  X(CAPS_SIZE_SYNTAX, "SIZE parameter is not a decimal number")                                    \
  X(CAPS_SIZE_OVERFLOW, "SIZE parameter does not fit in 64 bits")                                  \
  X(CAPS_UNEXPECTED_PARAM, "capability that takes no parameter has one")                           \
  X(CAPS_AUTH_SYNTAX, "AUTH mechanism name is not a valid SASL name")                              \
  X(CAPS_AUTH_TOO_MANY, "AUTH lists more mechanisms than the cap")                                 \
  /* Configuration (parse and validation). */                                                      \
  X(CONFIG_SYNTAX, "configuration line is not 'key = value'")                                      \
  X(CONFIG_UNKNOWN_KEY, "unknown configuration key")                                               \
  X(CONFIG_BAD_VALUE, "configuration value is not valid for its key")                              \
  X(CONFIG_DUPLICATE_KEY, "configuration key given twice")                                         \
  X(CONFIG_TOO_LONG, "configuration value or file exceeds its limit")                              \
  X(CONFIG_INCONSISTENT, "mode and tls policy contradict each other")                              \
  X(CONFIG_MISSING, "a value the configuration needs is missing")                                  \
  X(CONFIG_NO_HOST, "certificate verification is on but no host name is set to check")             \
  /* Session: TLS policy (RFC 3207, RFC 8314 5.2). */                                              \
  X(STARTTLS_INJECTION, "bytes arrived after the 220 to STARTTLS (response injection)")            \
  X(STARTTLS_MISSING, "TLS is required but the server does not offer STARTTLS")                    \
  X(STARTTLS_REFUSED, "TLS is required but the server refused STARTTLS")                           \
  X(PLAINTEXT_AUTH_REFUSED, "AUTH would go in plaintext and the policy forbids it")                \
  X(AUTH_UNSUPPORTED, "the server offers none of the configured AUTH mechanisms")                  \
  /* Session: TLS layer. */                                                                        \
  X(TLS_PEER_PLAINTEXT, "the peer speaks plaintext SMTP where TLS was expected")                   \
  X(TLS_PEER_NOT_TLS, "the peer's bytes are not a TLS record: it speaks neither TLS nor SMTP")     \
  X(TLS_HANDSHAKE, "TLS handshake failed")                                                         \
  X(TLS_ALERT, "the peer sent a TLS alert")                                                        \
  X(TLS_PROTOCOL_VERSION, "no TLS protocol version in common with the peer")                       \
  X(TLS_CERT_SELF_SIGNED, "the server certificate is self-signed")                                 \
  X(TLS_CERT_UNKNOWN_ISSUER, "the server certificate has an unknown issuer")                       \
  X(TLS_CERT_WRONG_HOST, "the server certificate does not name the expected host")                 \
  X(TLS_CERT_EXPIRED, "the server certificate has expired")                                        \
  X(TLS_CERT_NOT_YET_VALID, "the server certificate is not yet valid")                             \
  X(TLS_CERT_OTHER, "the server certificate failed verification")                                  \
  X(TLS_INTERNAL, "the TLS layer failed internally")                                               \
  /* Session: dialogue. */                                                                         \
  X(SESSION_TIMEOUT, "the peer did not answer before the deadline")                                \
  X(SESSION_PEER_CLOSED, "the peer closed the connection")                                         \
  X(SESSION_SERVER_CLOSING, "the server answered 421 and closes the session")                      \
  X(SESSION_UNSOLICITED, "the peer sent bytes no command asked for")                               \
  X(SESSION_REJECTED, "the server rejected a command")                                             \
  X(SESSION_EHLO_REJECTED, "EHLO rejected and the policy does not allow HELO")                     \
  X(SESSION_BAD_STATE, "the session was used after it ended")                                      \
  X(SESSION_TABLE, "a state handler chose a transition its table row does not list")

enum sf_err {
#define SF_ERR_ENUM(name, desc) SF_ERR_##name,
  SF_ERROR_LIST(SF_ERR_ENUM)
#undef SF_ERR_ENUM
      SF_ERR_COUNT
};

/* "REPLY_BARE_LF" for SF_ERR_REPLY_BARE_LF; "?" for out-of-range values. */
const char *sf_err_name(enum sf_err err);
/* The one-line description from the list. */
const char *sf_err_desc(enum sf_err err);

#endif
