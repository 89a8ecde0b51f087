"""diffusers' example training scripts: how each sizes its scheduler, and its argparse defaults.

Read from huggingface/diffusers at 58eb52c0803ea9af3abec60841c2a093bdf1f951 (examples/**/*.py, research projects included where the name is not also a main example; the
scripts that call ``get_scheduler`` with ``--lr_scheduler`` and ``--max_train_steps``): ``scale`` is what
``num_warmup_steps`` and ``num_training_steps`` are multiplied by (``processes``:
``accelerator.num_processes``, ``accumulation``: ``gradient_accumulation_steps``, ``none``); ``sharded``
says the epoch-based count divides ``len(train_dataloader)`` by the processes first
(``len_train_dataloader_after_sharding``); otherwise it uses the unsharded length, as
``max_train_steps = num_train_epochs x ceil(len(train_dataloader) / gradient_accumulation_steps)`` before
``accelerator.prepare``. Every script listed defaults to ``--lr_scheduler constant --lr_warmup_steps 500
--lr_num_cycles 1 --lr_power 1.0`` (train_autoencoder_rae.py and train_cm_ct_unconditional.py default to cosine
and are left out). A script not listed is read only where every convention gives the same curve.
"""

from __future__ import annotations

from typing import NamedTuple


class Script(NamedTuple):
    scale: str
    sharded: bool
    learning_rate: float
    train_batch_size: int | None
    num_train_epochs: int | None
    max_train_steps: int | None


SCRIPTS: dict[str, Script] = {
    "textual_inversion.py": Script("processes", False, 0.0001, 16, 100, 5000),
    "textual_inversion_bf16.py": Script("processes", False, 0.0001, 16, 100, 5000),
    "textual_inversion_sdxl.py": Script("processes", True, 0.0001, 16, 100, 5000),
    "train_amused.py": Script("processes", False, 0.0003, 16, None, None),
    "train_autoencoderkl.py": Script("processes", False, 4.5e-06, 4, 1, None),
    "train_cogvideox_image_to_video_lora.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_cogvideox_lora.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_control_cogview4.py": Script("processes", False, 5e-06, 4, 1, None),
    "train_control_flux.py": Script("processes", True, 5e-06, 4, 1, None),
    "train_control_lora_flux.py": Script("processes", True, 5e-06, 4, 1, None),
    "train_controlnet.py": Script("processes", True, 5e-06, 4, 1, None),
    "train_controlnet_flux.py": Script("processes", False, 5e-06, 4, 1, None),
    "train_controlnet_sd3.py": Script("processes", False, 5e-06, 4, 1, None),
    "train_controlnet_sdxl.py": Script("processes", True, 5e-06, 4, 1, None),
    "train_controlnet_webdataset.py": Script("processes", False, 5e-06, 4, 1, None),
    "train_custom_diffusion.py": Script("processes", True, 1e-05, 4, 1, None),
    "train_diffusion_dpo.py": Script("processes", False, 0.0005, 4, 1, None),
    "train_diffusion_dpo_sdxl.py": Script("processes", False, 0.0005, 4, 1, None),
    "train_diffusion_orpo_sdxl_lora.py": Script("processes", False, 0.0005, 4, 1, None),
    "train_diffusion_orpo_sdxl_lora_wds.py": Script("processes", False, 0.0005, None, 1, None),
    "train_dreambooth.py": Script("processes", True, 5e-06, 4, 1, None),
    "train_dreambooth_colossalai.py": Script("none", False, 5e-06, 4, 1, None),
    "train_dreambooth_flux.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_inpaint.py": Script("processes", False, 5e-06, 4, 1, None),
    "train_dreambooth_inpaint_lora.py": Script("processes", False, 5e-06, 4, 1, None),
    "train_dreambooth_lora.py": Script("processes", True, 0.0005, 4, 1, None),
    "train_dreambooth_lora_flux.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_flux2.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_flux2_img2img.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_flux2_klein.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_flux2_klein_img2img.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_flux_advanced.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_flux_kontext.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_flux_miniature.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_dreambooth_lora_hidream.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_dreambooth_lora_ideogram4.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_krea2.py": Script("processes", False, 0.0003, 4, 1, None),
    "train_dreambooth_lora_lumina2.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_dreambooth_lora_qwen_image.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_dreambooth_lora_sana.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_dreambooth_lora_sd15_advanced.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_sd3.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_sd3_miniature.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_dreambooth_lora_sdxl.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_sdxl_advanced.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_lora_z_image.py": Script("processes", True, 0.0001, 4, 1, None),
    "train_dreambooth_sd3.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_gligen_text.py": Script("processes", False, 5e-06, 4, 1, None),
    "train_instruct_pix2pix.py": Script("processes", True, 0.0001, 16, 100, None),
    "train_instruct_pix2pix_lora.py": Script("processes", True, 0.0001, 16, 100, None),
    "train_instruct_pix2pix_sdxl.py": Script("accumulation", False, 0.0001, 16, 100, None),
    "train_lcm_distill_lora_sd_wds.py": Script("none", False, 0.0001, 16, 100, None),
    "train_lcm_distill_lora_sdxl.py": Script("processes", True, 1e-06, 16, 100, None),
    "train_lcm_distill_lora_sdxl_wds.py": Script("none", False, 0.0001, 16, 100, None),
    "train_lcm_distill_sd_wds.py": Script("none", False, 0.0001, 16, 100, None),
    "train_lcm_distill_sdxl_wds.py": Script("none", False, 0.0001, 16, 100, None),
    "train_multi_subject_dreambooth.py": Script("processes", False, 5e-06, 4, 1, None),
    "train_multi_subject_dreambooth_inpainting.py": Script("processes", False, 5e-06, 4, None, None),
    "train_pixart_controlnet_hf.py": Script("processes", False, 1e-06, 16, 1, None),
    "train_sana_sprint_diffusers.py": Script("processes", False, 0.0001, 4, 1, None),
    "train_sdxl_lpl.py": Script("accumulation", False, 0.0001, 16, 100, None),
    "train_t2i_adapter_sdxl.py": Script("none", False, 5e-06, 4, 1, None),
    "train_text_to_image.py": Script("processes", True, 0.0001, 16, 100, None),
    "train_text_to_image_decoder.py": Script("accumulation", False, 0.0001, 1, 100, None),
    "train_text_to_image_lora.py": Script("processes", True, 0.0001, 16, 100, None),
    "train_text_to_image_lora_decoder.py": Script("accumulation", False, 0.0001, 1, 100, None),
    "train_text_to_image_lora_prior.py": Script("accumulation", False, 0.0001, 1, 100, None),
    "train_text_to_image_lora_sdxl.py": Script("accumulation", False, 0.0001, 16, 100, None),
    "train_text_to_image_prior.py": Script("accumulation", False, 0.0001, 1, 100, None),
    "train_text_to_image_sdxl.py": Script("accumulation", False, 0.0001, 16, 100, None),
    "train_vqgan.py": Script("none", False, 0.0001, 16, 100, None),
}
