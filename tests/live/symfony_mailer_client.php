<?php
// A small SMTP client on Symfony Mailer 5.4 (Debian's php-symfony-mailer), for
// `smtpfuzz audit`.
//
// usage: php symfony_mailer_client.php --mode starttls|implicit --host NAME --port P
//            --cafile F --user U --password P --from F --to T --message FILE
//            [--timeout S]
//
// The session is Symfony's EsmtpTransport, as an application builds it from a
// DSN: implicit TLS ("smtps://") when asked, otherwise STARTTLS whenever the
// server offers it, which is all 5.4 can do (it has no setting that requires
// STARTTLS). AUTH with the first mechanism it knows that the server offers.
// The message file is sent as it is (a RawMessage). The certificate is
// verified against the test CA for NAME, PHP's defaults made explicit. The
// timeout is 30 s instead of the default_socket_timeout (60 s), to keep a live
// run short. Exit 0 when the message was accepted.

require '/usr/share/php/Symfony/Component/Mailer/autoload.php';

use Symfony\Component\Mailer\Envelope;
use Symfony\Component\Mailer\Exception\TransportExceptionInterface;
use Symfony\Component\Mailer\Transport\Smtp\EsmtpTransport;
use Symfony\Component\Mime\Address;
use Symfony\Component\Mime\RawMessage;

$keys = ['mode', 'host', 'port', 'cafile', 'user', 'password', 'from', 'to', 'message'];
$a = getopt('', array_merge(array_map(fn ($k) => "$k:", $keys), ['timeout:']));
foreach ($keys as $k) {
    if (!isset($a[$k]) || !is_string($a[$k])) {
        fwrite(STDERR, "symfony_mailer_client.php: --$k is required\n");
        exit(2);
    }
}
if (!in_array($a['mode'], ['starttls', 'implicit'], true)) {
    fwrite(STDERR, "symfony_mailer_client.php: --mode starttls|implicit\n");
    exit(2);
}
$message = file_get_contents($a['message']);
if ($message === false) {
    fwrite(STDERR, "symfony_mailer_client.php: cannot read {$a['message']}\n");
    exit(2);
}

$t = new EsmtpTransport($a['host'], (int) $a['port'], $a['mode'] === 'implicit');
$t->setUsername($a['user']);
$t->setPassword($a['password']);
$stream = $t->getStream();
$stream->setTimeout(isset($a['timeout']) ? (float) $a['timeout'] : 30.0);
$stream->setStreamOptions(['ssl' => [
    'verify_peer' => true,
    'verify_peer_name' => true,
    'peer_name' => $a['host'],
    'cafile' => $a['cafile'],
]]);

try {
    $t->send(new RawMessage($message), new Envelope(new Address($a['from']), [new Address($a['to'])]));
    exit(0);
} catch (TransportExceptionInterface $e) {
    fwrite(STDERR, 'error: ' . $e->getMessage() . "\n");
    exit(1);
}
