#!/usr/bin/perl
# A small SMTP client on Perl's Net::SMTP (libnet, the module git send-email
# uses), for `smtpfuzz audit`.
#
# usage: net_smtp_client.pl --mode starttls|implicit --tls required|opportunistic
#                           --addr A --port P --host NAME --cafile F
#                           --user U --password P --from F --to T --message FILE
#
# It connects to ADDR and verifies the certificate for NAME (as a client that
# resolved NAME to ADDR would), the way the module's documentation shows:
# starttls() after a greeting whose EHLO offered STARTTLS, or SSL => 1 for
# implicit TLS; AUTH through Authen::SASL when the server offers it. Exit 0
# when the message was accepted.
use strict;
use warnings;

use Getopt::Long qw(GetOptions);
use IO::Socket::SSL qw(SSL_VERIFY_PEER);
use Net::SMTP;

my %o = (timeout => 30);
GetOptions(\%o, 'mode=s', 'tls=s', 'addr=s', 'port=i', 'host=s', 'cafile=s', 'user=s',
           'password=s', 'from=s', 'to=s', 'message=s', 'timeout=i')
  or die "usage: see the top of $0\n";
for my $k (qw(mode tls addr port host cafile user password from to message)) {
  die "$0: --$k is required\n" unless defined $o{$k};
}

# The name to verify and to send as SNI; Net::SMTP picks the rest itself
# (the 'smtp' name-checking scheme of IO::Socket::SSL).
my @ssl = (SSL_verify_mode => SSL_VERIFY_PEER, SSL_ca_file => $o{cafile},
           SSL_verifycn_name => $o{host}, SSL_hostname => $o{host});

sub fail { print STDERR "error: @_\n"; exit 1 }

my $smtp = Net::SMTP->new($o{addr}, Port => $o{port}, Timeout => $o{timeout},
                          Hello => 'client.example.org',
                          ($o{mode} eq 'implicit' ? (SSL => 1, @ssl) : ()))
  or fail("connect: $@");
if ($o{mode} eq 'starttls') {
  # supports() returns the keyword's parameters: '' for STARTTLS, undef when
  # the server did not offer it.
  if (defined $smtp->supports('STARTTLS')) {
    $smtp->starttls(@ssl) or fail('STARTTLS: ' . ($smtp->message // $@ // '?'));
  } elsif ($o{tls} eq 'required') {
    $smtp->quit;
    fail('STARTTLS not offered; TLS is required');
  }
}
if (defined $smtp->supports('AUTH')) {
  $smtp->auth($o{user}, $o{password}) or fail('AUTH: ' . $smtp->message);
}
open(my $in, '<', $o{message}) or fail("$o{message}: $!");
my @lines = <$in>;
close($in);
$smtp->mail($o{from}) or fail('MAIL: ' . $smtp->message);
$smtp->to($o{to}) or fail('RCPT: ' . $smtp->message);
$smtp->data or fail('DATA: ' . $smtp->message);
$smtp->datasend(\@lines) or fail('message: ' . $smtp->message);
$smtp->dataend or fail('end of message: ' . $smtp->message);
$smtp->quit;
exit 0;
