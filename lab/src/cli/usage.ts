import { faultUsage } from '@switchfleet/firmware-sim';

export const MAIN_USAGE = `usage: switchfleet <command> ...

commands:
  firmware keygen   make an Ed25519 signing key pair
  firmware build    build a signed simulated firmware image
  firmware verify   check an image's hash, signature, hardware and version
  firmware test     run the release test suite on an image
  login             log in to the cloud as an operator (saves the session)
  release upload    upload a signed image as a release; the cloud tests it
  release list      releases, newest first
  release show      a release and its test report, case by case
  release revoke    revoke a passed release (admins)
  update            update one switch to a passed release (--watch follows it)
  update status     an update job; --watch follows it to its end
  update cancel     cancel an update job
  update list       a switch's update jobs, newest first
  fleet devices     switches of the fleet: model, version, presence, update
  fleet gateways    gateways of the fleet: presence, version, switch counts
  rollout plan      the plan of a staged rollout (per stage, skipped, makespan); changes nothing
  rollout create    start a staged rollout from a JSON spec
  rollout status    a rollout with a bar per stage (--watch: again every second until it ends)
  rollout pause|resume|cancel|approve
                    change a rollout's state

switchfleet <command> --help shows the options of a command.
Exit status: 0 done, 1 the answer is no (the API's code and message are printed), 2 wrong usage,
3 not logged in or the session ended, 4 the API could not be reached.`;

const OPS_ENV = `environment:
  SWITCHFLEET_URL         the API (default http://127.0.0.1:3000)
  SWITCHFLEET_TOKEN_FILE  the saved session (default ~/.config/switchfleet/session.json,
                          under $XDG_CONFIG_HOME when set); mode 0600, the tokens are secrets`;

export const LOGIN_USAGE = `usage: switchfleet login <email> [--password-stdin]

Logs in as an operator and saves the token pair; later commands refresh it when it expires.
The password is asked on the terminal, or read whole from standard input with --password-stdin.
Exit status 3 when the login is refused.

${OPS_ENV}`;

export const FLEET_USAGE = `usage: switchfleet fleet devices [--version <v>] [--hardware <id>] [--gateway <id>] [--home <id>]
                              [--online | --offline]
       switchfleet fleet gateways [--home <id>] [--online | --offline]

The fleet as operators see it, every page of it: ids, addresses, models, versions, presence and
updates, never a household's names. Every filter given must hold.

${OPS_ENV}`;

export const RELEASE_USAGE = `usage: switchfleet release upload <fw.img> [--notes <text>]
       switchfleet release list [--hardware <id>] [--state testing|passed|failed|revoked] [--limit <n>]
       switchfleet release show <id>
       switchfleet release revoke <id>

upload: the cloud checks the image (structure, hash, signature by a trusted key, hardware, newer
version), stores it and runs the release suite on it; a defect is refused with its code (exit 1).
show: the release and the suite's report, each case with its outcome, duration, seed and detail.
revoke: a passed release may no longer ship (admins only).
Exit status: 0 done, 1 the API said no (its code and message are printed), 2 wrong usage,
3 not logged in or the session ended ("switchfleet login"), 4 the API could not be reached.

${OPS_ENV}`;

export const UPDATE_USAGE = `usage: switchfleet update <deviceId> <releaseId> [--watch]
       switchfleet update status <jobId> [--watch]
       switchfleet update cancel <jobId>
       switchfleet update list <deviceId>

update: the cloud checks the release (it must have passed its tests and not be revoked, for the
switch's hardware) and starts a job; refused with its code (exit 1), e.g. 409 RELEASE_NOT_PASSED.
--watch follows the job on the operators' event stream: its phases (downloading, uploading, testing,
rebooting, confirming) and bytes, a bar on a terminal, plain lines otherwise; exit 0 when the switch
runs the new version, 1 with the reason when the job fails or is cancelled. When the stream ends it
reads the job again and reconnects.
cancel: a job no gateway holds ends at once; otherwise it ends cancelled when the gateway confirms.
Exit status: 0 done, 1 the API said no or the watched job did not succeed, 2 wrong usage,
3 not logged in or the session ended ("switchfleet login"), 4 the API could not be reached.

${OPS_ENV}`;
export const ROLLOUT_USAGE = `usage: switchfleet rollout plan <spec.json|->
       switchfleet rollout create <spec.json|->
       switchfleet rollout status <id> [--watch]
       switchfleet rollout pause|resume|cancel|approve <id>

The spec is the JSON body of POST /v1/admin/rollouts ("-" reads it from standard input): releaseId,
stages, and optional target, caps, retry, deviceTimeoutSeconds, windows, batteryMin, health, onAbort.
plan: per stage the devices, homes and gateways, who is skipped and why, the estimated makespan.
status: per stage and per gateway, the switches by state. status --watch: follows the rollout on the
operators' event stream, a bar per stage on a terminal (plain lines through a pipe), until it ends;
when the stream ends it reads the rollout again and reconnects.
Exit status: 0 done, 1 the API said no (its code and message are printed) or the watched rollout ended
halted, cancelled or rolled back (its reason is printed), 2 wrong usage,
3 not logged in or the session ended ("switchfleet login"), 4 the API could not be reached.

\${OPS_ENV}`;

export const KEYGEN_USAGE = `usage: switchfleet firmware keygen -o <key.pem> [--force]

Writes the private key to <key.pem> (mode 0600) and the public key beside it as <key>.pub.
  -o, --out <file>   private key file; the public key goes to the same name with .pub
      --force        replace existing key files`;

export const BUILD_USAGE = `usage: switchfleet firmware build --version <x.y.z[+build]> --hw <hardware-id> --key <key.pem>
                                [--fault <fault>]... [--size <bytes>] -o <fw.img>

  --version <v>      image version, major.minor.revision[+build]
  --hw <id>          hardware id the image is for (printable ASCII, up to 64 characters)
  --key <file>       Ed25519 private key from "firmware keygen"
  --fault <fault>    inject a fault; may be repeated. One of:
${faultUsage()
  .map((f) => `                       ${f}`)
  .join('\n')}
  --size <bytes>     payload size, e.g. 262144 or 256k (default 64k)
  -o, --out <file>   image file to write`;

export const VERIFY_USAGE = `usage: switchfleet firmware verify <fw.img> --pub <key.pub>... [--hw <id>] [--running <version>]
                                 [--counter <n>]

Exit status 0 when the image is one MCUboot boots: intact, a signature by one of the keys after
the KEYHASH naming it (an image may carry several such pairs), for the hardware and not a
downgrade; 1 with the reason otherwise. imgtool --pad padding and trailer after the TLVs are shown.
  --pub <file>         trusted public key; may be repeated
  --hw <id>            hardware id of the target device
  --running <version>  version running on the device (older images are refused)
  --counter <n>        the device's stored security counter (images below it, or without one,
                       are refused, as MCUboot's hardware rollback protection does)`;

export const TEST_USAGE = `usage: switchfleet firmware test <fw.img> --pub <key.pub>... [--key <key.pem>] [--previous <prev.img>]
                               [--json <report.json>] [--seed <n>] [--case <name>]...

Runs the release test suite: the image on simulated switches through the production gateway code
(boot, control, notifications, latency, link stability, battery, state across reboots, update from
the previous release, refused downgrade, self-test and confirm, power loss at 10 points of the
update). Prints a summary; exit status 0 only when every case passed, 1 when any failed.
  --pub <file>         trusted public key; may be repeated (default: the public half of --key)
  --previous <file>    the previous release, which the update cases start from
  --key <file>         signing key; without --previous, a baseline 0.0.x release is built and
                       signed with it (its public key must be trusted). With neither, the update
                       cases fail: the suite does not pass what it could not try.
  --json <file>        write the machine-readable report
  --seed <n>           replay a run (every run prints its seed)
  --case <name>        run only this case (or "power-loss" for all ten cuts); may be repeated`;
