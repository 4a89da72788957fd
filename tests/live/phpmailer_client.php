<?php
// A small SMTP client on PHPMailer (Debian's libphp-phpmailer), for `smtpfuzz audit`.
//
// usage: php phpmailer_client.php --mode starttls|implicit --tls required|opportunistic
//            --host NAME --port P --cafile F --user U --password P
//            --from F --to T --message FILE [--timeout S]
//
// The session is PHPMailer's own: smtpConnect() connects, says EHLO, takes
// STARTTLS as its policy says (SMTPSecure "tls" requires it; with
// SMTPSecure empty, SMTPAutoTLS uses it when the server offers it), says
// EHLO again and authenticates. The message file is then sent as it is,
// through PHPMailer's SMTP class (MAIL, RCPT, DATA with its dot-stuffing,
// QUIT), so the bytes the scenarios judge are the file's. The certificate is
// verified against the test CA for NAME, PHP's defaults made explicit.
// Timeout and Timelimit (the wait for each reply) are 30 s instead of
// PHPMailer's 300, to keep a live run short. Exit 0 when the message was
// accepted.

require '/usr/share/php/libphp-phpmailer/autoload.php';

use PHPMailer\PHPMailer\Exception;
use PHPMailer\PHPMailer\PHPMailer;

$keys = ['mode', 'tls', 'host', 'port', 'cafile', 'user', 'password', 'from', 'to', 'message'];
$a = getopt('', array_merge(array_map(fn ($k) => "$k:", $keys), ['timeout:']));
foreach ($keys as $k) {
    if (!isset($a[$k]) || !is_string($a[$k])) {
        fwrite(STDERR, "phpmailer_client.php: --$k is required\n");
        exit(2);
    }
}
if (!in_array($a['mode'], ['starttls', 'implicit'], true) ||
    !in_array($a['tls'], ['required', 'opportunistic'], true)) {
    fwrite(STDERR, "phpmailer_client.php: --mode starttls|implicit, --tls required|opportunistic\n");
    exit(2);
}
$message = file_get_contents($a['message']);
if ($message === false) {
    fwrite(STDERR, "phpmailer_client.php: cannot read {$a['message']}\n");
    exit(2);
}
$timeout = isset($a['timeout']) ? (int) $a['timeout'] : 30;

$m = new PHPMailer(true);
$m->isSMTP();
$m->Host = $a['host'];
$m->Port = (int) $a['port'];
$m->Timeout = $timeout;
if ($a['mode'] === 'implicit') {
    $m->SMTPSecure = PHPMailer::ENCRYPTION_SMTPS;
} elseif ($a['tls'] === 'required') {
    $m->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;
} else {
    $m->SMTPSecure = '';
    $m->SMTPAutoTLS = true;
}
$m->SMTPAuth = true;
$m->Username = $a['user'];
$m->Password = $a['password'];
$m->SMTPOptions = ['ssl' => [
    'verify_peer' => true,
    'verify_peer_name' => true,
    'peer_name' => $a['host'],
    'cafile' => $a['cafile'],
]];
$smtp = $m->getSMTPInstance();
$smtp->Timelimit = $timeout;

try {
    $m->smtpConnect();
    $ok = $smtp->mail($a['from']) && $smtp->recipient($a['to']) && $smtp->data($message);
    $smtp->quit();
    $smtp->close();
    if (!$ok) {
        $e = $smtp->getError();
        fwrite(STDERR, "error: {$e['error']} {$e['smtp_code']} {$e['detail']}\n");
        exit(1);
    }
    exit(0);
} catch (Exception $e) {
    fwrite(STDERR, 'error: ' . $e->getMessage() . "\n");
    exit(1);
}
