/*
 * A small SMTP client on JavaMail 1.6.5 (Debian's libmail-java), for `smtpfuzz audit`.
 *
 * usage: java -cp /usr/share/java/javax.mail.jar JavaMailClient.java
 *            --mode starttls|implicit --tls required|opportunistic
 *            --host NAME --port P --cafile F --user U --password P
 *            --from F --to T --message FILE [--timeout SECONDS]
 *
 * Java 17 runs this file as it is (source-file mode), but compiles it on every
 * run; tests/live/java_client_jar.sh makes build/java/javamail-client.jar
 * once (the jar's manifest names javax.mail.jar), which the profiles run.
 *
 * It uses javax.mail as a typical application does: a Session made from
 * properties, protocol "smtp" for both modes (implicit TLS is
 * mail.smtp.ssl.enable=true, not the "smtps" protocol), mail.smtp.auth=true
 * (JavaMail says AUTH only when the EHLO offered it), mail.smtp.starttls.enable,
 * plus mail.smtp.starttls.required for --tls required, mail.smtp.from for the
 * envelope sender, and the connection, read and write timeouts from --timeout
 * when it is given. Without it they stay at JavaMail's defaults, which is no
 * timeout at all: a server that stops answering holds the client for ever.
 *
 * The test CA (--cafile, one PEM certificate) is trusted through an
 * SSLSocketFactory built from a KeyStore holding it, given as
 * mail.smtp.ssl.socketFactory (JavaMail uses it for STARTTLS and for
 * ssl.enable alike). mail.smtp.ssl.trust is not set.
 *
 * mail.smtp.ssl.checkserveridentity is left at JavaMail's default, which in
 * 1.6.5 is false (com.sun.mail.util.SocketFetcher.configureSSLSocket reads it
 * with PropUtil.getBooleanProperty(props, prefix + ".ssl.checkserveridentity",
 * false)), and JavaMail sets no endpoint identification algorithm on the
 * SSLSocket: by default the chain is verified, the host name is not. What the
 * library does by default is what is judged.
 *
 * The message file's bytes are sent as they are: new MimeMessage(session, in)
 * and transport.sendMessage(). The static Transport.send() is not used: it
 * calls saveChanges(), which rewrites headers (Message-ID, MIME-Version) and
 * re-encodes the body. Exit 0 when the message was accepted, 1 with
 * "error: ..." on stderr otherwise, 2 for bad usage.
 */
import java.io.FileInputStream;
import java.io.InputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import javax.mail.Address;
import javax.mail.Session;
import javax.mail.Transport;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

public class JavaMailClient {
    private static final String[] REQUIRED = {
        "mode", "tls", "host", "port", "cafile", "user", "password", "from", "to", "message"
    };

    private static Map<String, String> parseArgs(String[] argv) {
        Map<String, String> a = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length)
                usage("bad argument: " + argv[i]);
            a.put(argv[i].substring(2), argv[++i]);
        }
        for (String k : REQUIRED)
            if (!a.containsKey(k))
                usage("--" + k + " is required");
        if (!a.get("mode").equals("starttls") && !a.get("mode").equals("implicit"))
            usage("--mode is starttls or implicit");
        if (!a.get("tls").equals("required") && !a.get("tls").equals("opportunistic"))
            usage("--tls is required or opportunistic");
        return a;
    }

    private static void usage(String why) {
        System.err.println("usage: JavaMailClient --mode starttls|implicit"
                + " --tls required|opportunistic --host NAME --port P --cafile F"
                + " --user U --password P --from F --to T --message FILE [--timeout S]");
        System.err.println("error: " + why);
        System.exit(2);
    }

    /* An SSLSocketFactory that trusts the one CA certificate in the PEM file. */
    private static SSLSocketFactory trusting(String cafile) throws Exception {
        X509Certificate ca;
        try (InputStream in = new FileInputStream(cafile)) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("test-ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(
                TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx.getSocketFactory();
    }

    private static void send(Map<String, String> a) throws Exception {
        Properties p = new Properties();
        p.put("mail.transport.protocol", "smtp");
        p.put("mail.smtp.host", a.get("host"));
        p.put("mail.smtp.port", a.get("port"));
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.from", a.get("from"));
        if (a.containsKey("timeout")) {
            String ms = String.valueOf(Math.round(Double.parseDouble(a.get("timeout")) * 1000));
            p.put("mail.smtp.connectiontimeout", ms);
            p.put("mail.smtp.timeout", ms);
            p.put("mail.smtp.writetimeout", ms);
        }
        p.put("mail.smtp.ssl.socketFactory", trusting(a.get("cafile")));
        if (a.get("mode").equals("implicit")) {
            p.put("mail.smtp.ssl.enable", "true");
        } else {
            p.put("mail.smtp.starttls.enable", "true");
            if (a.get("tls").equals("required"))
                p.put("mail.smtp.starttls.required", "true");
        }
        Session session = Session.getInstance(p);

        MimeMessage msg;
        try (InputStream in = new FileInputStream(a.get("message"))) {
            msg = new MimeMessage(session, in);
        }
        Address[] rcpt = { new InternetAddress(a.get("to")) };
        try (Transport t = session.getTransport("smtp")) {
            t.connect(a.get("host"), Integer.parseInt(a.get("port")), a.get("user"),
                    a.get("password"));
            t.sendMessage(msg, rcpt);
        }
    }

    public static void main(String[] argv) {
        Map<String, String> a = parseArgs(argv);
        try {
            send(a);
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root)
                root = root.getCause();
            String m = e.toString();
            if (root != e && !m.contains(root.toString()))
                m += "; caused by " + root;
            System.err.println("error: " + m.replaceAll("\\s+", " "));
            System.exit(1);
        }
        System.exit(0);
    }
}
