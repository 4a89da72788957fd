/*
 * A small SMTP client on Apache Commons Net 3.9 (Debian's libcommons-net-java),
 * for `smtpfuzz audit`.
 *
 * usage: java -jar build/java/commons-net-client.jar
 *            --mode starttls|implicit --host NAME --port P --cafile F
 *            --user U --password P --from F --to T --message FILE
 *
 * tests/live/java_client_jar.sh compiles it once into that jar, whose
 * manifest names /usr/share/java/commons-net.jar.
 *
 * It uses org.apache.commons.net.smtp.AuthenticatingSMTPClient as its
 * documentation shows: built with an SSLContext whose trust manager holds
 * the test CA (--cafile, one PEM certificate), implicit TLS from the
 * constructor's isImplicit flag; connect(NAME, P); EHLO; for STARTTLS,
 * execTLS() when the EHLO reply offers it (refusing to go on otherwise) and
 * EHLO again; AUTH PLAIN when the server offers it; setSender,
 * addRecipient, sendMessageData() with the message file's bytes written as
 * they are, completePendingCommand(), logout(). Every reply code is checked.
 *
 * What the library leaves at its defaults stays there, as an application
 * that does not know better gets it: no timeout (setDefaultTimeout and
 * setSoTimeout are not called) and endpoint checking off
 * (setEndpointCheckingEnabled(false) is the default: the chain is verified,
 * the host name is not). Exit 0 when the message was accepted, 1 with
 * "error: ..." on stderr otherwise, 2 for bad usage.
 */
import java.io.FileInputStream;
import java.io.InputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.HashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.apache.commons.net.smtp.AuthenticatingSMTPClient;
import org.apache.commons.net.smtp.SMTPReply;

public class CommonsNetClient {
  private static final String[] KEYS = {
    "mode", "host", "port", "cafile", "user", "password", "from", "to", "message"
  };

  private static void fail(String what) {
    System.err.println("error: " + what);
    System.exit(1);
  }

  private static void usage(String why) {
    System.err.println("commons-net-client: " + why);
    System.exit(2);
  }

  /* Whether the last EHLO reply names `keyword` (RFC 5321 4.1.1.1: case-blind)
   * with `param` among its parameters (null: any). Commons Net leaves reading
   * the reply to the application. */
  private static boolean offers(AuthenticatingSMTPClient c, String keyword, String param) {
    for (String line : c.getReplyStrings()) {
      if (line.length() < 4) continue;
      String[] words = line.substring(4).trim().split("[ =]");
      if (words.length == 0 || !words[0].equalsIgnoreCase(keyword)) continue;
      if (param == null) return true;
      for (int i = 1; i < words.length; i++) if (words[i].equalsIgnoreCase(param)) return true;
    }
    return false;
  }

  private static void ehlo(AuthenticatingSMTPClient c, String when) throws Exception {
    if (!SMTPReply.isPositiveCompletion(c.ehlo("client.example.org")))
      fail("EHLO" + when + ": " + c.getReplyString().trim());
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> v = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      String k = args[i].startsWith("--") ? args[i].substring(2) : "";
      if (!java.util.Arrays.asList(KEYS).contains(k) || i + 1 >= args.length)
        usage("unknown or incomplete argument '" + args[i] + "'");
      v.put(k, args[i + 1]);
    }
    for (String k : KEYS) if (!v.containsKey(k)) usage("--" + k + " is required");
    boolean implicit = v.get("mode").equals("implicit");
    if (!implicit && !v.get("mode").equals("starttls")) usage("--mode starttls|implicit");

    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = new FileInputStream(v.get("cafile"))) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    byte[] message = Files.readAllBytes(Paths.get(v.get("message")));

    AuthenticatingSMTPClient c = new AuthenticatingSMTPClient(implicit, ctx);
    try {
      c.connect(v.get("host"), Integer.parseInt(v.get("port")));
      if (!SMTPReply.isPositiveCompletion(c.getReplyCode()))
        fail("greeting: " + c.getReplyString().trim());
      ehlo(c, "");
      if (!implicit) {
        if (!offers(c, "STARTTLS", null)) fail("STARTTLS not offered; TLS is required");
        if (!c.execTLS()) fail("STARTTLS: " + c.getReplyString().trim());
        ehlo(c, " after STARTTLS");
      }
      if (offers(c, "AUTH", "PLAIN")
          && !c.auth(AuthenticatingSMTPClient.AUTH_METHOD.PLAIN, v.get("user"), v.get("password")))
        fail("AUTH: " + c.getReplyString().trim());
      if (!c.setSender(v.get("from"))) fail("MAIL: " + c.getReplyString().trim());
      if (!c.addRecipient(v.get("to"))) fail("RCPT: " + c.getReplyString().trim());
      Writer w = c.sendMessageData();
      if (w == null) fail("DATA: " + c.getReplyString().trim());
      w.write(new String(message, StandardCharsets.ISO_8859_1));
      w.close();
      if (!c.completePendingCommand()) fail("end of message: " + c.getReplyString().trim());
      c.logout();
    } catch (java.io.IOException e) {
      fail(e.toString());
    } finally {
      if (c.isConnected()) c.disconnect();
    }
  }
}
