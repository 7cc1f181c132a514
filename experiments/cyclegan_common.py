"""Helpers shared by the CycleGAN experiment scripts (cyclegan_instruments.py,
cyclegan_genres.py): run summaries and the machine line."""
import os
import platform


def loss_summary(rec):
    """'cycle A+B x -> y, discriminators A+B x -> y' over the run's sessions (means of
    their first and last 20 steps)."""
    sessions = [s for s in rec.get("sessions", []) if s.get("final_losses")]
    if not sessions:
        return "no steps"
    first, last = sessions[0].get("first_losses") or {}, sessions[-1]["final_losses"]

    def pair(d, a, b):
        return f"{d[a] + d[b]:.3f}" if a in d and b in d else "?"
    return (f"cycle loss A+B {pair(first, 'cycle_a', 'cycle_b')} -> "
            f"{pair(last, 'cycle_a', 'cycle_b')}, discriminator loss A+B "
            f"{pair(first, 'disc_a', 'disc_b')} -> {pair(last, 'disc_a', 'disc_b')}, "
            f"generator adversarial A->B {first.get('gen_ab_adv', float('nan')):.3f} -> "
            f"{last['gen_ab_adv']:.3f} (means of the first and last 20 steps)")


def machine():
    return (f"{platform.node()}: {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} CPU cores, {platform.system()}")
