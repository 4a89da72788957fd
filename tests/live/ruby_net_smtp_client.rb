# A small SMTP client on Ruby's Net::SMTP (the net-smtp gem 0.3.1 that
# Debian's ruby3.1 bundles), for `smtpfuzz audit`.
#
# usage: ruby ruby_net_smtp_client.rb --mode starttls|implicit --tls required|opportunistic
#             --addr A --port P --host NAME --cafile F --user U --password P
#             --from F --to T --message FILE
#
# The session is the gem's own: start() connects, says EHLO, takes STARTTLS
# as `starttls:` says (:always requires it, :auto, the gem's default, uses
# it when the server offers it), says EHLO again; then AUTH PLAIN or LOGIN
# when the server offers one, and send_message() with the message file as it
# is (the gem makes its line ends CRLF and doubles leading dots). It connects
# to ADDR and verifies the certificate for NAME against the test CA
# (tls_hostname, ca_file). Timeouts are the gem's (open 30 s, read 60 s).
# Exit 0 when the message was accepted.
require 'net/smtp'
require 'optparse'

keys = %w[mode tls addr port host cafile user password from to message]
o = {}
OptionParser.new do |p|
  keys.each { |k| p.on("--#{k} VALUE") { |v| o[k] = v } }
end.parse!(ARGV)
keys.each do |k|
  next if o[k]
  warn "ruby_net_smtp_client.rb: --#{k} is required"
  exit 2
end
unless %w[starttls implicit].include?(o['mode']) && %w[required opportunistic].include?(o['tls'])
  warn 'ruby_net_smtp_client.rb: --mode starttls|implicit, --tls required|opportunistic'
  exit 2
end

implicit = o['mode'] == 'implicit'
smtp = Net::SMTP.new(o['addr'], Integer(o['port']), tls: implicit,
                     starttls: implicit ? false : (o['tls'] == 'required' ? :always : :auto),
                     tls_verify: true, tls_hostname: o['host'],
                     ssl_context_params: { ca_file: o['cafile'] })
begin
  smtp.start(helo: 'client.example.org') do |s|
    types = s.capable_auth_types
    if types.include?('PLAIN')
      s.authenticate(o['user'], o['password'], :plain)
    elsif types.include?('LOGIN')
      s.authenticate(o['user'], o['password'], :login)
    end
    s.send_message(File.binread(o['message']), o['from'], o['to'])
  end
rescue StandardError, Timeout::Error => e
  warn "error: #{e.class}: #{e.message}"
  exit 1
end
exit 0
